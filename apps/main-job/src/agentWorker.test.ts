import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { closeDatabase, listWorkers, openDatabase } from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const tsx = createRequire(import.meta.url).resolve("tsx");
const entry = resolve(import.meta.dirname, "agentWorker.ts");
const started: ChildProcess[] = [];

/** Starts the agent worker as a process: the child, and its exit code and stderr once it ends. */
function startAgent(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, HIVE_LOG_LEVEL: "silent", ...env },
  });
  started.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((r) =>
    child.once("close", (code) => r({ code, stderr })),
  );
  return { child, exited };
}

const runAgent = (args: string[]) => startAgent(args).exited;

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

  it("reports a lease renewal period not shorter than the lease as a bad flag (exit 2, naming heartbeatMs)", async () => {
    const path = join(dir, "hive.db");
    await closeDatabase(await openDatabase({ path }));
    const r = await runAgent(["--db", path, "--lease-ms", "1000", "--heartbeat-ms", "5000"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("heartbeatMs: must be shorter than leaseMs");
  });

  it.each(["debug", "trace", "fatal"])(
    "runs under $HIVE_LOG_LEVEL=%s, which the planner and the deployer started beside it accept, and stops with exit 0",
    async (level) => {
      const path = join(dir, "hive.db");
      const db = await openDatabase({ path });
      try {
        const agent = startAgent(["--db", path], { HIVE_LOG_LEVEL: level });
        const running = waitUntil(
          async () => (await listWorkers(db, "active")).length === 1,
          "the agent registered as an active worker",
        );
        // An agent that refused its configuration exits before it registers: report that instead.
        running.catch(() => {}); // raced below; the race reports the failure
        const first = await Promise.race([running.then(() => null), agent.exited]);
        expect(first?.stderr ?? "", "the agent exited before it registered").toBe("");
        agent.child.kill("SIGTERM");
        const r = await agent.exited;
        expect(r.code, r.stderr).toBe(0);
        expect(await listWorkers(db, "offline")).toHaveLength(1);
      } finally {
        await closeDatabase(db);
      }
    },
  );
});
