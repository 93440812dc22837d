import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "@hive/models";
import { createTask, getRuns } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { isAlive, makeControl, taskReaching, useSandbox } from "../testing/fixtures.ts";
import { useDeployerWorkers } from "../testing/workers.ts";

const s = useSandbox();
const workers = useDeployerWorkers();

async function runToEnd(payload: Record<string, JsonValue>, maxRetries = 0) {
  const task = await createTask(s.db, { title: "deploy", taskType: "deployment", payload, maxRetries });
  const w = await workers.start(s.db, s.root);
  const done = await taskReaching(s.db, task.id, ["completed", "failed"]);
  await workers.stop(w);
  return { task: done, runs: await getRuns(s.db, task.id) };
}

describe("command strategy", () => {
  it("runs the commands with the payload's env and folder, output into output_log, exit codes into result_data", async () => {
    const { task, runs } = await runToEnd({
      strategy: "command",
      env: { GREETING: "hello from the payload" },
      commands: [
        [process.execPath, "-e", "console.log(process.env.GREETING); console.error('to stderr')"],
        {
          argv: [process.execPath, "-e", "require('node:fs').writeFileSync('built.txt', process.cwd())"],
          cwd: "work/site",
        },
      ],
    });
    expect(task.status).toBe("completed");
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run.status).toBe("completed");
    const log = run.outputLog!.split("\n");
    expect(log).toContain("hello from the payload");
    expect(log).toContain("to stderr");
    expect(log).toContain(`deployed release ${task.id}-1`);
    // The second command ran in its folder under the root, created for it.
    expect(readFileSync(join(s.root, "work", "site", "built.txt"), "utf8")).toBe(
      join(s.root, "work", "site"),
    );
    expect(run.resultData).toMatchObject({
      releaseId: `${task.id}-1`,
      strategy: "command",
      commands: [
        { argv: [process.execPath, "-e", expect.stringContaining("GREETING")], exitCode: 0 },
        { exitCode: 0 },
      ],
    });
    expect(task.result).toEqual(run.resultData);
  });

  it("stops at the first failing command: exit code and output tail into error_message", async () => {
    const { task, runs } = await runToEnd({
      strategy: "command",
      commands: [
        [process.execPath, "-e", "console.log('migrating'); process.exit(7)"],
        [process.execPath, "-e", "require('node:fs').writeFileSync('never.txt', '')"],
      ],
    });
    expect(task.status).toBe("failed");
    expect(runs.map((r) => r.status)).toEqual(["failed"]);
    expect(runs[0]!.errorMessage).toMatch(
      /^command 1 \(.* -e console\.log\('migrating'\); process\.exit\(7\)\) exited with code 7: migrating$/,
    );
    expect(runs[0]!.outputLog).toContain("migrating");
    expect(task.lastError).toBe(runs[0]!.errorMessage);
    expect(existsSync(join(s.root, "never.txt"))).toBe(false);
  });

  it("kills a command that outlives its timeout and fails the attempt", async () => {
    const control = makeControl(s, "slow", { hold: true });
    const { task, runs } = await runToEnd({ strategy: "command", timeoutMs: 500, commands: [control.argv] });
    expect(task.status).toBe("failed");
    expect(runs[0]!.errorMessage).toBe(`command 1 (${control.argv.join(" ")}) timed out after 500 ms`);
    expect(control.pids()).toHaveLength(1);
    expect(control.pids().filter(isAlive)).toEqual([]);
  });

  it("fails with a clear message when a program does not exist", async () => {
    const { task, runs } = await runToEnd({
      strategy: "command",
      commands: [["no-such-program-xyz", "--x"]],
    });
    expect(task.status).toBe("failed");
    expect(runs[0]!.errorMessage).toBe(
      "command 1 (no-such-program-xyz --x) could not start: spawn no-such-program-xyz ENOENT",
    );
  });
});
