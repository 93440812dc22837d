import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAIN_FLAGS } from "./config.ts";

const tsx = createRequire(import.meta.url).resolve("tsx");
const entry = resolve(import.meta.dirname, "main.ts");

/** Runs the main job as a process in `cwd` to its end: exit code and output. */
function runMainJob(
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("HIVE_"))),
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((r) => child.once("close", (code) => r({ code, stdout, stderr })));
}

describe("the main job's command line", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "main-job-help-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("prints its usage naming every flag with --help and -h, exits 0, and creates or starts nothing", async () => {
    for (const help of ["--help", "-h"]) {
      const r = await runMainJob([help], dir);
      expect(r.code, r.stderr).toBe(0);
      for (const [flag, o] of Object.entries(MAIN_FLAGS)) {
        expect(r.stdout).toContain(`--${flag} `);
        if ("short" in o) expect(r.stdout).toContain(`-${o.short}, --${flag}`);
      }
      expect(r.stdout).toMatch(/^Exit codes: 0 /m);
    }
    // No database, sample artifact or log directory under the working directory.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a --work-dir that is a file with exit 2 naming it, before it writes a request or starts a process", async () => {
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    const db = join(dir, "hive.db");
    for (const request of [[], ["-d", "build a thing"]]) {
      const r = await runMainJob([db, "--work-dir", file, ...request], dir);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`invalid --work-dir: "${file}" is not a directory`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).not.toContain("submitted");
      expect(existsSync(db)).toBe(false);
    }
  });
});
