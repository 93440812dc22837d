import { join } from "node:path";
import {
  checkDatabase,
  countTasksByStatus,
  getExecutionPlanForRequest,
  listExecutionPlans,
  listPlanningRequests,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import {
  CONSISTENT,
  dependencyOrderProblems,
  runAccountingProblems,
  snapshotPlan,
} from "./support/checks.ts";
import { entries } from "./support/daemons.ts";
import { type E2E, useE2E } from "./support/e2e.ts";
import { processesMentioning } from "./support/processes.ts";

function mainJob(
  t: E2E,
  name: string,
  args: string[],
  env: Record<string, string> = {},
  opts: { detached?: boolean } = {},
) {
  return t.pool.start(
    name,
    entries.mainJob,
    [t.dbPath, "--work-dir", join(t.dir, "work"), ...args],
    env,
    opts,
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("the main job as a process", () => {
  const t = useE2E();

  it("runs the sample request on the database given as its argument, prints a summary and exits 0; again on the same database", async () => {
    const first = mainJob(t, "main-1", []);
    expect(await first.exited, first.output()).toBe(0);
    // Its planner, deployer and agents were stopped before it exited.
    expect(processesMentioning(t.dir)).toEqual([]);

    const [request] = await listPlanningRequests(t.db);
    expect(request).toMatchObject({ status: "completed", requestor: "main-job" });
    const plan = await getExecutionPlanForRequest(t.db, request!.id);
    expect(plan?.status).toBe("completed");
    const s = await snapshotPlan(t.db, plan!.id);
    expect(runAccountingProblems(s)).toEqual([]);
    expect(dependencyOrderProblems(s)).toEqual([]);

    const out = first.output();
    expect(out).toContain(`plan ${plan!.id}: completed in `);
    expect(out).toMatch(/^result: completed$/m);
    // One summary line per subtask: type, state, attempts, duration, worker.
    for (const task of s.tasks)
      expect(out).toMatch(
        new RegExp(
          `^${escapeRegExp(task.subtaskId!)}\\s+${task.taskType}\\s+completed\\s+1\\s+\\d+\\.\\d+ s\\s+\\S+`,
          "m",
        ),
      );
    const deploy = s.tasks.find((x) => x.taskType === "deployment")!;
    const release = deploy.result as { releaseId: string; releasePath: string };
    expect(out).toContain(`deployed deploy: release ${release.releaseId} at ${release.releasePath}`);

    // The same command on the now existing database: a second plan, deployed over the first.
    const second = mainJob(t, "main-2", []);
    expect(await second.exited, second.output()).toBe(0);
    expect(await listExecutionPlans(t.db, { status: "completed" })).toHaveLength(2);
    const again = (await listPlanningRequests(t.db)).find((r) => r.id !== request!.id)!;
    const plan2 = await getExecutionPlanForRequest(t.db, again.id);
    const deploy2 = (await snapshotPlan(t.db, plan2!.id)).tasks.find((x) => x.taskType === "deployment")!;
    expect(deploy2.result).toMatchObject({ previousReleaseId: release.releaseId });
    expect(second.output()).toContain(`previous release ${release.releaseId}`);
    expect(await checkDatabase(t.db)).toEqual(CONSISTENT);
  });

  it("exits 1 and says which subtask failed when the plan fails", async () => {
    const context = {
      components: ["api"],
      deployment: { strategy: "local", artifact: join(t.dir, "no-such-build"), target: "app" },
    };
    const job = mainJob(t, "main", [
      "--description",
      "Ship a build that does not exist",
      "--context",
      JSON.stringify(context),
    ]);
    expect(await job.exited, job.output()).toBe(1);
    expect(job.output()).toMatch(/^result: failed$/m);
    expect(job.output()).toMatch(/^not deployed deploy: failed \(.*no-such-build/m);
    const [plan] = await listExecutionPlans(t.db);
    expect(plan?.status).toBe("failed");
  });

  it("exits 1 at once, showing the log, when one of its processes dies", async () => {
    // An invalid planner setting in the environment: the planner refuses to start.
    const job = mainJob(t, "main", [], { HIVE_PLANNER_CONCURRENCY: "0" });
    expect(await job.exited, job.output()).toBe(1);
    expect(job.output()).toMatch(/planner exited unexpectedly \(code 2\)/);
    expect(job.output()).toMatch(/invalid configuration: concurrency/);
    expect(processesMentioning(t.dir)).toEqual([]);
  });

  it("on SIGTERM stops its processes, which drain, then prints the summary and exits 1", async () => {
    const job = mainJob(t, "main", ["--work-ms", "1500"]);
    await waitUntil(() => /\| running /.test(job.output()), "a subtask to be running", 120_000);
    job.child.kill("SIGTERM");
    expect(await job.exited, job.output()).toBe(1);
    expect(job.output()).toMatch(/^result: interrupted by SIGTERM$/m);
    expect(processesMentioning(t.dir)).toEqual([]);
    // The agents drained: what ran was finished and recorded, what was claimed ahead handed back.
    expect((await countTasksByStatus(t.db)).in_progress).toBe(0);
    const [plan] = await listExecutionPlans(t.db);
    expect(plan?.status).toBe("executing");
    expect(runAccountingProblems(await snapshotPlan(t.db, plan!.id))).toEqual([]);
  });

  it("on Ctrl-C (SIGINT to its whole process group) reports the interruption, not a dead process, and exits 1", async () => {
    const job = mainJob(t, "main", ["--work-ms", "1500"], {}, { detached: true });
    await waitUntil(() => /\| running /.test(job.output()), "a subtask to be running", 120_000);
    // A terminal sends SIGINT to every process of the foreground group: the job and its children.
    process.kill(-job.child.pid!, "SIGINT");
    expect(await job.exited, job.output()).toBe(1);
    expect(job.output()).not.toMatch(/exited unexpectedly/);
    expect(job.output()).toMatch(/^result: interrupted by SIGINT$/m);
    expect(processesMentioning(t.dir)).toEqual([]);
    expect((await countTasksByStatus(t.db)).in_progress).toBe(0);
    const [plan] = await listExecutionPlans(t.db);
    expect(runAccountingProblems(await snapshotPlan(t.db, plan!.id))).toEqual([]);
  });

  it("when its output pipe closes (npm start | head), stops its processes instead of leaving them running", async () => {
    const job = mainJob(t, "main", ["--work-ms", "1500"]);
    await waitUntil(() => /\| running /.test(job.output()), "a subtask to be running", 120_000);
    // The reader goes away, as `head` does after its lines: the job's next write gets EPIPE.
    job.child.stdout!.destroy();
    expect(await job.exited, job.output()).toBe(1);
    await waitUntil(() => processesMentioning(t.dir).length === 0, "the job's processes to be gone", 30_000);
    expect((await countTasksByStatus(t.db)).in_progress).toBe(0);
  });
});
