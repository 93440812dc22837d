import { spawn, spawnSync } from "node:child_process";
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

  it("npm start stops on a SIGTERM sent to npm: the job reports it was interrupted, and nothing it started runs on", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-sigterm-"));
    dirs.push(dir);
    const db = join(dir, "job.db");
    // CI unset: the workspace is installed; the bootstrap would otherwise install it again.
    const npm = spawn("npm", ["start", "--", db, "--work-dir", join(dir, "work"), "--work-ms", "3000"], {
      cwd: repoRoot,
      env: { ...process.env, CI: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    npm.stdout.on("data", (b) => {
      out += String(b);
    });
    npm.stderr.on("data", (b) => {
      out += String(b);
    });
    const exited = new Promise<number | null>((r) => npm.on("exit", (code) => r(code)));
    const deadline = Date.now() + 60_000;
    while (!out.includes("submitted planning request") && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain("submitted planning request");
    npm.kill("SIGTERM");
    expect(await exited).not.toBe(0);
    // npm may return before the job has stopped its processes (it did under `npm test`): the
    // job, still writing to the same pipe, reports once they are down.
    const stopBy = Date.now() + 30_000;
    while (!out.includes("result:") && Date.now() < stopBy) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain("result: interrupted by SIGTERM");
    // Before, only npm and its shell stopped: the job and its daemons ran on to the end.
    const left = spawnSync("pgrep", ["-f", db], { encoding: "utf8" });
    expect(left.stdout.trim()).toBe("");
  }, 120_000);
});
