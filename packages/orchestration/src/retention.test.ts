import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { DependencyNotFoundError, ValidationError } from "./errors.ts";
import { checkDatabase } from "./integrity.ts";
import { getPlanningRequest } from "./planning.ts";
import { getExecutionPlan, getExecutionPlanStatusCached, subtaskTaskId } from "./plans.ts";
import { purgeFinished } from "./retention.ts";
import { getRuns } from "./runs.ts";
import { cancelTask, countTasksByStatus, createTask, getTask, listTasks } from "./tasks.ts";
import { makeWorker, sleep, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { withRead } from "./tx.ts";

const t = useTempDatabase();

/** Claims and completes every claimable task until none is left. */
async function drain(workerId: string): Promise<void> {
  for (;;) {
    const claimed = await claimTasks(t.db, { workerId, limit: 100 });
    if (claimed.length === 0) return;
    for (const c of claimed)
      await completeTask(t.db, { taskId: c.task.id, token: c.token, result: { ok: 1 } });
  }
}

const rowCount = (table: string) =>
  withRead(t.db, async (ex) =>
    Number((await ex.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))!.n),
  );

const clean = {
  foreignKeyViolations: 0,
  dependencyCounterMismatches: 0,
  planCounterMismatches: 0,
  runMismatches: 0,
};

describe("purgeFinished", () => {
  it("removes finished standalone tasks with their runs and edges, and keeps what unfinished work needs", async () => {
    const w = await makeWorker(t.db);
    const done = await createTask(t.db, { title: "done", taskType: "t" });
    const needed = await createTask(t.db, { title: "needed", taskType: "t" });
    await drain(w);
    const failed = await createTask(t.db, { title: "failed", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: w });
    expect(c!.task.id).toBe(failed.id);
    await failTask(t.db, { taskId: failed.id, token: c!.token, error: "boom", retryable: false });
    const later = Date.now() + 60_000;
    const cancelled = await cancelTask(
      t.db,
      (await createTask(t.db, { title: "c", taskType: "t", runAt: later })).id,
    );
    const queued = await createTask(t.db, { title: "queued", taskType: "t", runAt: later });
    // Waits on `needed` (completed) and `queued`: needed stays while waiter is unfinished.
    const waiter = await createTask(t.db, {
      title: "waiter",
      taskType: "t",
      dependsOn: [needed.id, queued.id],
    });
    expect(waiter).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    await sleep(5);

    const r = await purgeFinished(t.db, { olderThanMs: 0 });
    expect([...r.tasks].sort()).toEqual([done.id, failed.id, cancelled.id].sort());
    expect(r).toMatchObject({ plans: [], planningRequests: [], more: false });
    expect(await getTask(t.db, done.id)).toBeNull();
    expect(await getRuns(t.db, done.id)).toEqual([]);
    expect(await getRuns(t.db, failed.id)).toEqual([]);
    expect(await rowCount("runs")).toBe((await getRuns(t.db, needed.id)).length);
    expect((await listTasks(t.db)).map((x) => x.id).sort()).toEqual([needed.id, queued.id, waiter.id].sort());
    expect(await getTask(t.db, waiter.id)).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect(await checkDatabase(t.db)).toMatchObject(clean);
    // a purged task is gone for good: nothing can depend on it any more
    await expect(createTask(t.db, { title: "late", taskType: "t", dependsOn: [done.id] })).rejects.toThrow(
      DependencyNotFoundError,
    );
  });

  it("leaves work finished more recently than olderThanMs", async () => {
    const w = await makeWorker(t.db);
    await createTask(t.db, { title: "a", taskType: "t" });
    await drain(w);
    expect(await purgeFinished(t.db, { olderThanMs: 60_000 })).toEqual({
      tasks: [],
      plans: [],
      planningRequests: [],
      more: false,
    });
    expect((await countTasksByStatus(t.db)).completed).toBe(1);
  });

  it("removes a finished plan whole with its planning request, and not a plan with work left", async () => {
    const w = await makeWorker(t.db);
    const finished = await startedPlan(t.db, {
      sub_tasks: [
        { id: "x", title: "X" },
        { id: "y", title: "Y", dependencies: ["x"] },
      ],
    });
    await drain(w);
    expect((await getExecutionPlan(t.db, finished.id))!.status).toBe("completed");
    expect(await getExecutionPlanStatusCached(t.db, finished.id)).toBe("completed");
    const open = await startedPlan(t.db, { sub_tasks: [{ id: "z", title: "Z", required_skills: ["none"] }] });
    await sleep(5);

    const r = await purgeFinished(t.db, { olderThanMs: 0 });
    expect(r.plans).toEqual([finished.id]);
    expect(r.planningRequests).toEqual([finished.planningTaskId]);
    expect(r.tasks).toEqual([]); // plan tasks go with their plan only
    expect(await getExecutionPlan(t.db, finished.id)).toBeNull();
    expect(await getExecutionPlanStatusCached(t.db, finished.id)).toBeNull();
    expect(await getTask(t.db, subtaskTaskId(finished.id, "x"))).toBeNull();
    expect(await getPlanningRequest(t.db, finished.planningTaskId)).toBeNull();
    expect(await getExecutionPlan(t.db, open.id)).not.toBeNull();
    expect(await getPlanningRequest(t.db, open.planningTaskId)).not.toBeNull();
    expect(await rowCount("plan_execution")).toBe(1);
    expect(await rowCount("task_dependencies")).toBe(0);
    expect(await rowCount("runs")).toBe(0);
    expect(await checkDatabase(t.db)).toMatchObject(clean);
  });

  it("keeps a finished plan while a task outside it waits on one of its tasks", async () => {
    const w = await makeWorker(t.db);
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "x", title: "X" }] });
    await drain(w);
    const gate = await createTask(t.db, { title: "gate", taskType: "t", runAt: Date.now() + 60_000 });
    await createTask(t.db, {
      title: "after",
      taskType: "t",
      dependsOn: [subtaskTaskId(plan.id, "x"), gate.id],
    });
    await sleep(5);
    expect((await purgeFinished(t.db, { olderThanMs: 0 })).plans).toEqual([]);
    expect(await getExecutionPlan(t.db, plan.id)).not.toBeNull();
  });

  it("does at most `limit` per call and says when to call again", async () => {
    const w = await makeWorker(t.db);
    for (let i = 0; i < 5; i++) await createTask(t.db, { title: `t${i}`, taskType: "t" });
    await drain(w);
    await sleep(5);
    const sizes: [number, boolean][] = [];
    for (let r = await purgeFinished(t.db, { olderThanMs: 0, limit: 2 }); ; ) {
      sizes.push([r.tasks.length, r.more]);
      if (!r.more) break;
      r = await purgeFinished(t.db, { olderThanMs: 0, limit: 2 });
    }
    expect(sizes).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    expect(await rowCount("tasks")).toBe(0);
  });

  it("rejects bad options with a ValidationError naming the field, and deletes nothing", async () => {
    const w = await makeWorker(t.db);
    await createTask(t.db, { title: "a", taskType: "t" });
    await drain(w);
    await sleep(5);
    for (const bad of [
      { olderThanMs: -1 },
      { olderThanMs: 0, limit: 0 },
      { olderThanMs: 1.5 },
      {},
      { olderThanMs: 0, all: true },
    ])
      await expect(purgeFinished(t.db, bad as never)).rejects.toThrow(ValidationError);
    await expect(purgeFinished(t.db, { olderThanMs: -1 })).rejects.toThrow(/olderThanMs/);
    expect(await rowCount("tasks")).toBe(1);
  });
});
