import type { PlanDataInput } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, completeTasks, failTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { InvalidTransitionError, PlanValidationError } from "./errors.ts";
import { checkDatabase } from "./integrity.ts";
import { EDGE_CHUNK, TASK_CHUNK } from "./planInsert.ts";
import { claimPlanningRequests, completePlanningRequest, submitPlanningRequest } from "./planning.ts";
import {
  cancelPlan,
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
import {
  cancelTask,
  countTasksByStatus,
  createTask,
  getTask,
  getTaskDependencies,
  listTasks,
  requeueTask,
} from "./tasks.ts";
import { makeWorker, startedPlan as started, useTempDatabase } from "./testing/fixtures.ts";
import { withTx } from "./tx.ts";

const t = useTempDatabase();

async function request(): Promise<string> {
  return (await submitPlanningRequest(t.db, { taskDescription: "do it" })).id;
}

/** A started plan's id (testing/fixtures.ts startedPlan). */
const startedPlan = async (planData: PlanDataInput): Promise<string> => (await started(t.db, planData)).id;

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
  it("reports progress as a whole percentage on both backends (1 of 3 done: 33)", async () => {
    const planId = await startedPlan({
      sub_tasks: [
        { id: "a", title: "A" },
        { id: "b", title: "B" },
        { id: "c", title: "C" },
      ],
    });
    const [c] = await claimTasks(t.db, { workerId: await makeWorker(t.db) });
    await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
    expect((await getPlanExecution(t.db, planId))!.progressPercent).toBe(33);
  });

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

  it("leaves a plan not started as it is when one of its tasks is cancelled and requeued, and it can still start", async () => {
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: chain });
    await createPlannedSubtasksFromPlan(t.db, plan.id);
    const c = subtaskTaskId(plan.id, "c");
    await cancelTask(t.db, c);
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("draft");
    await requeueTask(t.db, c);
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("draft");
    await markPlanExecutionStarted(t.db, plan.id);
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("executing");
  });

  it("fails a plan started with a task cancelled before the start", async () => {
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: chain });
    await createPlannedSubtasksFromPlan(t.db, plan.id);
    await cancelTask(t.db, subtaskTaskId(plan.id, "a"));
    await markPlanExecutionStarted(t.db, plan.id);
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("failed");
    expect((await getPlanExecution(t.db, plan.id))!.blockedSubtasks).toEqual(["a", "b", "c"]);
  });

  it("keeps a draft plan's tasks requeued after a cancel waiting for the start and for their dependencies", async () => {
    await makeWorker(t.db);
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: chain });
    await createPlannedSubtasksFromPlan(t.db, plan.id);
    const [a, b, c] = ["a", "b", "c"].map((s) => subtaskTaskId(plan.id, s)) as [string, string, string];
    await cancelTask(t.db, c);
    await requeueTask(t.db, c);
    await cancelTask(t.db, a);
    await requeueTask(t.db, a); // b comes back with it (it was upstream_failed)
    expect((await getTask(t.db, b))!.status).toBe("blocked");
    expect(await claimTasks(t.db, { workerId: "w1", limit: 5 })).toEqual([]);
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
    await markPlanExecutionStarted(t.db, plan.id);
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 5 });
    expect(claimed.map((x) => x.task.subtaskId)).toEqual(["a"]);
  });

  it("refuses to create the tasks of a cancelled plan, which could never run", async () => {
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: chain });
    await cancelPlan(t.db, plan.id);
    await expect(createPlannedSubtasksFromPlan(t.db, plan.id)).rejects.toBeInstanceOf(InvalidTransitionError);
    expect(await listTasks(t.db, { planId: plan.id })).toEqual([]);
    expect(await getPlanExecution(t.db, plan.id)).toBeNull();
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

  it("cancelling a plan fails the tasks outside it that wait on its tasks, as cancelling each task would", async () => {
    const planId = await startedPlan(chain);
    const after = await createTask(t.db, {
      title: "after",
      taskType: "t",
      dependsOn: [subtaskTaskId(planId, "c")],
    });
    const later = await createTask(t.db, { title: "later", taskType: "t", dependsOn: [after.id] });
    await cancelPlan(t.db, planId);
    expect((await getTask(t.db, after.id))!.status).toBe("upstream_failed");
    expect((await getTask(t.db, later.id))!.status).toBe("upstream_failed");
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
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

describe("creating a plan's tasks in bulk", () => {
  /** Node i depends on the (up to) three nodes before it: more tasks and edges than one chunk holds. */
  const n = TASK_CHUNK * 2 + 600;
  const big = {
    sub_tasks: Array.from({ length: n }, (_, i) => ({
      id: `n${i}`,
      title: `node ${i}`,
      priority: i % 5,
      dependencies: [i - 1, i - 2, i - 3].filter((j) => j >= 0).map((j) => `n${j}`),
      payload: { i },
    })),
  };
  const edges = big.sub_tasks.reduce((e, s) => e + s.dependencies.length, 0);

  it("creates every task and edge of a plan larger than one insert chunk, with the right pending counts", async () => {
    expect(edges).toBeGreaterThan(EDGE_CHUNK);
    const plan = await createExecutionPlan(t.db, { planningTaskId: await request(), planData: big });
    expect(await createPlannedSubtasksFromPlan(t.db, plan.id)).toBe(n);
    expect(await createPlannedSubtasksFromPlan(t.db, plan.id)).toBe(0);
    const tasks = await listTasks(t.db, { planId: plan.id, limit: 100_000 });
    expect(tasks).toHaveLength(n);
    for (const task of tasks) {
      const i = Number(task.subtaskId!.slice(1));
      const deps = big.sub_tasks[i]!.dependencies;
      // A draft plan's tasks wait for one more "dependency": the plan's start.
      expect(task).toMatchObject({
        id: subtaskTaskId(plan.id, `n${i}`),
        status: "blocked",
        pendingDependencies: deps.length + 1,
        priority: i % 5,
        tags: [`plan:${plan.id}`],
        payload: { i },
      });
    }
    for (const i of [0, 1, TASK_CHUNK - 1, TASK_CHUNK, TASK_CHUNK + 1, n - 1])
      expect((await getTaskDependencies(t.db, subtaskTaskId(plan.id, `n${i}`))).sort()).toEqual(
        big.sub_tasks[i]!.dependencies.map((d) => subtaskTaskId(plan.id, d)).sort(),
      );
    expect(await getPlanExecution(t.db, plan.id)).toMatchObject({ totalSubtasks: n, startedAt: null });
    await markPlanExecutionStarted(t.db, plan.id);
    expect((await getTask(t.db, subtaskTaskId(plan.id, "n0")))!.status).toBe("queued");
    expect((await getTask(t.db, subtaskTaskId(plan.id, `n${n - 1}`)))!.pendingDependencies).toBe(3);
    expect(await checkDatabase(t.db)).toMatchObject({
      foreignKeyViolations: 0,
      dependencyCounterMismatches: 0,
      planCounterMismatches: 0,
    });
  });

  it("writes none of a plan's tasks when one of them cannot be written", async () => {
    const planId = "bulk-plan";
    await createExecutionPlan(t.db, { planningTaskId: await request(), planData: big, id: planId });
    // A task already holding the id of a subtask in the last chunk (createTask refuses such an
    // id once the plan exists; a race or a write around the library can still leave one).
    await createTask(t.db, { id: "squatter", title: "squatter", taskType: "x" });
    await withTx(t.db, (tx) =>
      tx.ex.run("UPDATE tasks SET id = ? WHERE id = 'squatter'", [subtaskTaskId(planId, `n${n - 1}`)]),
    );
    await expect(createPlannedSubtasksFromPlan(t.db, planId)).rejects.toThrow();
    expect(await listTasks(t.db, { planId, limit: 10 })).toEqual([]);
    expect(await getPlanExecution(t.db, planId)).toBeNull();
    expect((await countTasksByStatus(t.db)).queued).toBe(1);
  });

  it("accepts a plan that lists a subtask before the subtasks it depends on", async () => {
    const planId = await startedPlan({
      sub_tasks: [
        { id: "last", title: "last", dependencies: ["first", "middle"] },
        { id: "middle", title: "middle", dependencies: ["first"] },
        { id: "first", title: "first" },
      ],
    });
    const st = async (s: string) => (await getTask(t.db, subtaskTaskId(planId, s)))!;
    expect((await st("first")).status).toBe("queued");
    expect((await st("last")).pendingDependencies).toBe(2);
    expect((await getTaskDependencies(t.db, subtaskTaskId(planId, "last"))).sort()).toEqual(
      [subtaskTaskId(planId, "first"), subtaskTaskId(planId, "middle")].sort(),
    );
  });

  it("stores a subtask's fields as createTask stores a task's", async () => {
    // Text that JSON escapes (a line separator, a backslash before "u", a paired surrogate).
    const title = "emoji \ud83d\ude00 here";
    const description = "line\nnext \\ud800 \u2028 é";
    const planId = await startedPlan({
      sub_tasks: [
        {
          id: "a",
          title,
          description,
          task_type: "t",
          workflow_phase: "p",
          required_skills: ["x\u2028"],
          deliverables: ["d"],
          estimated_duration: 0.1,
          complexity: "complex",
          assignee: "bob",
          max_retries: 0,
          payload: { s: "\ud83d\ude00", n: 2.5e-7 },
        },
      ],
    });
    const created = await createTask(t.db, {
      title,
      description,
      taskType: "t",
      requiredSkills: ["x\u2028"],
    });
    const plain = (await getTask(t.db, created.id))!;
    const sub = (await getTask(t.db, subtaskTaskId(planId, "a")))!;
    expect({ title: sub.title, description: sub.description, skills: sub.requiredSkills }).toEqual({
      title: plain.title,
      description: plain.description,
      skills: plain.requiredSkills,
    });
    expect(sub).toMatchObject({
      taskType: "t",
      currentPhase: "p",
      maxRetries: 0,
      workflow: null,
      dueDate: null,
      idempotencyKey: null,
      planId,
      subtaskId: "a",
      payload: {
        s: "\ud83d\ude00",
        n: 2.5e-7,
        subtask: { deliverables: ["d"], estimated_duration: 0.1, complexity: "complex", assignee: "bob" },
      },
    });
    expect(sub.runAt).toBe(sub.createdAt);
  });
});
