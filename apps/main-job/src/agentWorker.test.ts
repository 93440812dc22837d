import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const tsx = createRequire(import.meta.url).resolve("tsx");
const entry = resolve(import.meta.dirname, "agentWorker.ts");
const started: ChildProcess[] = [];

/** Runs the agent worker as a process to its end: exit code and output. */
function runAgent(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, HIVE_LOG_LEVEL: "silent" },
  });
  started.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  return new Promise((r) => child.once("exit", (code) => r({ code, stderr })));
}

describe("the agent worker process", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "hive-agent-"));
  });
  afterEach(() => {
    // One still running (an agent waiting on a database it should have refused) fails no later test.
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a database file that does not exist (exit 1, naming it) instead of creating one and waiting on it", async () => {
    const typo = join(dir, "typo.db");
    const r = await runAgent(["--db", typo]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`no database at ${typo}`);
    expect(existsSync(typo)).toBe(false);
  });

  it("reports an unknown flag as a usage error (exit 2), without a stack trace", async () => {
    const r = await runAgent(["--db", join(dir, "x.db"), "--bogus"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
