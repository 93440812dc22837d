import type { PlanDataInput } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, completeTasks, failTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { InvalidTransitionError, PlanValidationError } from "./errors.ts";
import { checkDatabase } from "./integrity.ts";
import { claimPlanningRequests, completePlanningRequest, submitPlanningRequest } from "./planning.ts";
import {
  checkSubtaskDependencies,
  checkSubtaskDependenciesBatch,
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlanStatus,
  getExecutionPlanStatusCached,
  getNextPlannedSubtask,
  getPlanExecution,
  markPlanExecutionStarted,
  subtaskTaskId,
} from "./plans.ts";
import { getRuns } from "./runs.ts";
import { countTasksByStatus, getTask, listTasks } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

async function request(): Promise<string> {
  return (await submitPlanningRequest(t.db, { taskDescription: "do it" })).id;
}

/** Stores and starts a plan through the planner's path (claim request → complete with plan). */
async function startedPlan(planData: PlanDataInput): Promise<string> {
  const id = await request();
  await claimPlanningRequests(t.db, { agentId: "planner" });
  return (await completePlanningRequest(t.db, { requestId: id, agentId: "planner", planData })).plan.id;
}

const chain = {
  sub_tasks: [
    { id: "a", title: "A" },
    { id: "b", title: "B", dependencies: ["a"] },
    { id: "c", title: "C", dependencies: ["b"] },
  ],
};

describe("plan validation", () => {
  it.each([
    [
      "a cycle, named",
      {
        sub_tasks: [
          { id: "a", title: "A", dependencies: ["b"] },
          { id: "b", title: "B", dependencies: ["a"] },
        ],
      },
      /cycle: (a -> b -> a|b -> a -> b)/,
    ],
    [
      "a dangling dependency",
      { sub_tasks: [{ id: "a", title: "A", dependencies: ["ghost"] }] },
      /"ghost", which is not in the plan/,
    ],
    [
      "a duplicate id",
      {
        sub_tasks: [
          { id: "a", title: "A" },
          { id: "a", title: "A2" },
        ],
      },
      /used twice/,
    ],
    ["a self dependency", { sub_tasks: [{ id: "a", title: "A", dependencies: ["a"] }] }, /depends on itself/],
    ["a schema error, naming the field", { sub_tasks: [{ id: "a" }] }, /sub_tasks\.0\.title/],
  ])("rejects %s and writes nothing", async (_name, planData, message) => {
    const req = await request();
    const err = await createExecutionPlan(t.db, { planningTaskId: req, planData: planData as never }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(PlanValidationError);
    expect(err.message).toMatch(message);
    await claimPlanningRequests(t.db, { agentId: "p" });
    await expect(
      completePlanningRequest(t.db, { requestId: req, agentId: "p", planData }),
    ).rejects.toBeInstanceOf(PlanValidationError);
    const counts = await countTasksByStatus(t.db);
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
  });
});

describe("plans", () => {
  it("creates subtasks once (idempotent) and keeps a draft plan's tasks unclaimable until it starts", async () => {
    await makeWorker(t.db);
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: chain });
    expect(plan.status).toBe("draft");
    expect(await createPlannedSubtasksFromPlan(t.db, plan.id)).toBe(3);
    expect(await createPlannedSubtasksFromPlan(t.db, plan.id)).toBe(0);
    expect((await listTasks(t.db, { planId: plan.id })).length).toBe(3);
    expect(await claimTasks(t.db, { workerId: "w1" })).toHaveLength(0);
    expect(await getNextPlannedSubtask(t.db, plan.id)).toBeNull();
    await markPlanExecutionStarted(t.db, plan.id);
    await expect(markPlanExecutionStarted(t.db, plan.id)).rejects.toBeInstanceOf(InvalidTransitionError);
    expect((await getNextPlannedSubtask(t.db, plan.id))!.subtaskId).toBe("a");
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 5 });
    expect(claimed.map((c) => c.task.subtaskId)).toEqual(["a"]);
  });

  it("checks dependencies one by one and in batch", async () => {
    await makeWorker(t.db);
    const planId = await startedPlan(chain);
    const [a, b] = [subtaskTaskId(planId, "a"), subtaskTaskId(planId, "b")];
    expect(await checkSubtaskDependencies(t.db, a)).toBe(true);
    expect(await checkSubtaskDependencies(t.db, b)).toBe(false);
    expect(await checkSubtaskDependencies(t.db, "nope")).toBeNull();
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
    expect(await checkSubtaskDependenciesBatch(t.db, [a, b, subtaskTaskId(planId, "c")])).toEqual({
      [a]: true,
      [b]: true,
      [subtaskTaskId(planId, "c")]: false,
    });
  });

  it("runs a 1,000-node layered plan in dependency order to completion", async () => {
    await makeWorker(t.db);
    const layers = 10;
    const width = 100;
    const subs = [];
    for (let l = 0; l < layers; l++)
      for (let i = 0; i < width; i++)
        subs.push({
          id: `n${l}_${i}`,
          title: `node ${l}.${i}`,
          dependencies:
            l === 0
              ? []
              : [...new Set([i, (i * 7 + 3) % width, (i + 1) % width])].map((j) => `n${l - 1}_${j}`),
        });
    const planId = await startedPlan({ sub_tasks: subs });
    const completedAt = new Map<string, number>();
    let step = 0;
    for (;;) {
      const claimed = await claimTasks(t.db, { workerId: "w1", limit: 64 });
      if (claimed.length === 0) break;
      step++;
      for (const c of claimed) {
        for (const dep of subs.find((s) => s.id === c.task.subtaskId)!.dependencies)
          expect(completedAt.get(dep), `${c.task.subtaskId} started before ${dep} completed`).toBeLessThan(
            step,
          );
      }
      await completeTasks(
        t.db,
        claimed.map((c) => ({ taskId: c.task.id, token: c.token })),
      );
      for (const c of claimed) completedAt.set(c.task.subtaskId!, step);
    }
    expect(completedAt.size).toBe(1000);
    expect(await getExecutionPlanStatus(t.db, planId)).toBe("completed");
    const pe = await getPlanExecution(t.db, planId);
    expect(pe).toMatchObject({ progressPercent: 100, totalSubtasks: 1000 });
    expect(pe!.completedSubtasks).toHaveLength(1000);
    expect(await checkDatabase(t.db)).toEqual({
      integrity: "ok",
      foreignKeyViolations: 0,
      dependencyCounterMismatches: 0,
      planCounterMismatches: 0,
      runMismatches: 0,
    });
  });

  it("blocks the descendants of a subtask that failed for good and fails the plan; other branches finish", async () => {
    await makeWorker(t.db);
    const planId = await startedPlan({
      sub_tasks: [
        { id: "root", title: "root" },
        { id: "bad", title: "bad", dependencies: ["root"], max_retries: 0 },
        { id: "after-bad", title: "after bad", dependencies: ["bad"] },
        { id: "last", title: "last", dependencies: ["after-bad"] },
        { id: "side", title: "side branch", dependencies: ["root"] },
      ],
    });
    const [r] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: r!.task.id, token: r!.token });
    for (const c of await claimTasks(t.db, { workerId: "w1", limit: 5 })) {
      if (c.task.subtaskId === "bad")
        await failTask(t.db, { taskId: c.task.id, token: c.token, error: "broken" });
      else await completeTask(t.db, { taskId: c.task.id, token: c.token });
    }
    const st = async (s: string) => (await getTask(t.db, subtaskTaskId(planId, s)))!.status;
    expect([await st("bad"), await st("after-bad"), await st("last"), await st("side")]).toEqual([
      "failed",
      "upstream_failed",
      "upstream_failed",
      "completed",
    ]);
    expect(await getExecutionPlanStatus(t.db, planId)).toBe("failed");
    const pe = await getPlanExecution(t.db, planId);
    expect(pe!.failedSubtasks).toEqual(["bad"]);
    expect(pe!.blockedSubtasks.sort()).toEqual(["after-bad", "last"]);
    expect((await checkDatabase(t.db)).planCounterMismatches).toBe(0);
  });

  it("cancels the descendants instead under the cancel policy", async () => {
    await makeWorker(t.db);
    const planId = await startedPlan({
      on_failure: "cancel",
      sub_tasks: [
        { id: "bad", title: "bad", max_retries: 0 },
        { id: "next", title: "next", dependencies: ["bad"] },
      ],
    });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await failTask(t.db, { taskId: c!.task.id, token: c!.token, error: "x", retryable: false });
    expect((await getTask(t.db, subtaskTaskId(planId, "next")))!.status).toBe("cancelled");
  });

  it("serves the cached plan status fresh after changes by this handle and by another connection", async () => {
    await makeWorker(t.db);
    const planId = await startedPlan({ sub_tasks: [{ id: "only", title: "only" }] });
    expect(await getExecutionPlanStatusCached(t.db, planId)).toBe("executing");
    expect(await getExecutionPlanStatusCached(t.db, planId)).toBe("executing");
    expect(await getExecutionPlanStatusCached(t.db, "missing")).toBeNull();
    const other = await openDatabase(t.temp.openOptions);
    try {
      await makeWorker(other, "w2");
      const [c] = await claimTasks(other, { workerId: "w2" });
      await completeTask(other, { taskId: c!.task.id, token: c!.token });
    } finally {
      await closeDatabase(other);
    }
    expect(await getExecutionPlanStatusCached(t.db, planId)).toBe("completed");
    expect((await getRuns(t.db, subtaskTaskId(planId, "only")))[0]!.status).toBe("completed");
  });
});
