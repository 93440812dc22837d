import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "./support/daemons.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  // A failed run of the bug this guards against leaves a database named "--" in the repository.
  for (const f of ["--", "---wal", "---shm"]) rmSync(join(repoRoot, f), { force: true });
});

/** `pnpm <args>` at the repository root, as the README has a user type it. */
function pnpm(args: string[]) {
  return spawnSync("pnpm", ["-s", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
}

describe("the root package scripts", () => {
  it("pnpm db:migrate -- <path> migrates that path, not a database named '--' in the repository", () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-scripts-"));
    dirs.push(dir);
    const path = join(dir, "x.db");
    const r = pnpm(["db:migrate", "--", path]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`migrated ${path}`);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(join(repoRoot, "--"))).toBe(false);
  });
});
