import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs a root script's file under tsx in a fresh empty directory, as `pnpm db:…` would. */
function script(file: string, args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "hive-cli-"));
  dirs.push(cwd);
  const r = spawnSync(process.execPath, ["--import", tsx, join(here, file), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, HIVE_DB_PATH: "" },
    timeout: 60_000,
  });
  return { ...r, cwd, made: readdirSync(cwd) };
}

describe("pnpm db:migrate", () => {
  it("prints its usage for --help and creates nothing (it made a database named --help)", () => {
    const r = script("migrate.ts", ["--help"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: pnpm db:migrate \[path\]/);
    expect(r.made).toEqual([]);
  });

  it("refuses an unknown option and a second path with a usage error, creating nothing", () => {
    for (const args of [
      ["--url", "postgres://x"],
      ["a.db", "b.db"],
    ]) {
      const r = script("migrate.ts", args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^(unknown option --url|unexpected argument b\.db)\nusage: pnpm db:migrate/);
      expect(r.made).toEqual([]);
    }
  });

  it("migrates the path it is given, also one that starts with '-' after '--'", () => {
    const r = script("migrate.ts", ["--", "-odd.db"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`migrated ${join(r.cwd, "-odd.db")}`);
    expect(existsSync(join(r.cwd, "-odd.db"))).toBe(true);
  });
});

describe("pnpm db:copy-to-pg", () => {
  it("prints its usage for --help, and refuses missing or extra arguments with exit 2", () => {
    const help = script("copyToPostgres.ts", ["-h"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: pnpm db:copy-to-pg <sqlite file> <postgres url> \[schema\]/);
    for (const args of [
      ["only.db"],
      ["a.db", "postgres://x", "s", "extra"],
      ["--force", "a.db", "postgres://x"],
    ]) {
      const r = script("copyToPostgres.ts", args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("usage: pnpm db:copy-to-pg");
      expect(r.made).toEqual([]);
    }
  });
});
