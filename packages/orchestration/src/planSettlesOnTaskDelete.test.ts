import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { submitPlanningRequest } from "./planning.ts";
import {
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlanStatus,
  getPlanExecution,
  markPlanExecutionStarted,
  subtaskTaskId,
} from "./plans.ts";
import { deleteTask, getTask } from "./tasks.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

/** Claims the next task in claim order, checks it is `subtaskId`, and completes or fails it for good. */
async function run(subtaskId: string, outcome: "complete" | "fail" = "complete"): Promise<void> {
  const [c] = await claimTasks(t.db, { workerId: "w1", limit: 1 });
  expect(c!.task.subtaskId).toBe(subtaskId);
  if (outcome === "complete") await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
  else await failTask(t.db, { taskId: c!.task.id, token: c!.token, error: "broken", retryable: false });
}

/** Status, counters and progress of the plan, and whether checkDatabase agrees with them. */
async function state(planId: string) {
  const pe = (await getPlanExecution(t.db, planId))!;
  const check = await checkDatabase(t.db);
  return {
    status: await getExecutionPlanStatus(t.db, planId),
    total: pe.totalSubtasks,
    progress: pe.progressPercent,
    finished: pe.completedAt !== null,
    mismatches: check.planCounterMismatches,
  };
}

describe("deleting a plan's task", () => {
  it("completes the plan when the task deleted was its last unfinished one (queued, then blocked)", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A", priority: 9 },
        { id: "b", title: "B" },
        { id: "c", title: "C", dependencies: ["b"] },
      ],
    });
    const completed: string[] = [];
    t.db.events.on("plan.completed", (e) => completed.push(e.planId));
    await run("a");
    expect(await deleteTask(t.db, subtaskTaskId(plan.id, "c"))).toBe(true); // blocked on b
    expect(await state(plan.id)).toEqual({
      status: "executing",
      total: 2,
      progress: 50,
      finished: false,
      mismatches: 0,
    });
    expect(await deleteTask(t.db, subtaskTaskId(plan.id, "b"))).toBe(true); // queued
    expect(await state(plan.id)).toEqual({
      status: "completed",
      total: 1,
      progress: 100,
      finished: true,
      mismatches: 0,
    });
    expect(completed).toEqual([plan.id]);
  });

  it("settles a failed plan again when its failed and upstream_failed tasks are deleted", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A", priority: 9 },
        { id: "b", title: "B", dependencies: ["a"] },
        { id: "c", title: "C" },
        { id: "d", title: "D", priority: 1 },
      ],
    });
    await run("a", "fail");
    expect((await getTask(t.db, subtaskTaskId(plan.id, "b")))!.status).toBe("upstream_failed");
    await run("c");
    await deleteTask(t.db, subtaskTaskId(plan.id, "b"));
    expect(await state(plan.id)).toMatchObject({ status: "failed", total: 3, progress: 33, mismatches: 0 });
    // Nothing left that failed: the rest can finish, as after a requeue of the failed task.
    await deleteTask(t.db, subtaskTaskId(plan.id, "a"));
    expect(await state(plan.id)).toEqual({
      status: "executing",
      total: 2,
      progress: 50,
      finished: false,
      mismatches: 0,
    });
    await run("d");
    expect(await state(plan.id)).toEqual({
      status: "completed",
      total: 2,
      progress: 100,
      finished: true,
      mismatches: 0,
    });
  });

  it("cancels the plan when every task of it is deleted", async () => {
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
      ],
    });
    await deleteTask(t.db, subtaskTaskId(plan.id, "a"));
    expect(await state(plan.id)).toEqual({
      status: "executing",
      total: 1,
      progress: 0,
      finished: false,
      mismatches: 0,
    });
    await deleteTask(t.db, subtaskTaskId(plan.id, "b"));
    expect(await state(plan.id)).toEqual({
      status: "cancelled",
      total: 0,
      progress: 0,
      finished: true,
      mismatches: 0,
    });
  });

  it("announces plan.cancelled when its last task is deleted, as completed and failed plans are announced", async () => {
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "a", title: "A" }] });
    const seen: HiveEvent[] = [];
    t.db.events.on("*", (e) => seen.push(e));
    await deleteTask(t.db, subtaskTaskId(plan.id, "a"));
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("cancelled");
    expect(seen.filter((e) => e.type.startsWith("plan."))).toEqual([
      { type: "plan.cancelled", planId: plan.id, reason: "every task of the plan was deleted" },
    ]);
  });

  it("cancels a draft plan whose tasks were all deleted when it starts", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "later" });
    const plan = await createExecutionPlan(t.db, {
      planningTaskId: request.id,
      planData: { sub_tasks: [{ id: "a", title: "A" }] },
    });
    await createPlannedSubtasksFromPlan(t.db, plan.id);
    await deleteTask(t.db, subtaskTaskId(plan.id, "a"));
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("draft");
    const seen: HiveEvent[] = [];
    t.db.events.on("*", (e) => seen.push(e));
    expect((await markPlanExecutionStarted(t.db, plan.id)).status).toBe("cancelled");
    expect(seen).toContainEqual({
      type: "plan.cancelled",
      planId: plan.id,
      reason: "every task of the plan was deleted",
    });
    expect(await state(plan.id)).toEqual({
      status: "cancelled",
      total: 0,
      progress: 0,
      finished: true,
      mismatches: 0,
    });
  });
});
