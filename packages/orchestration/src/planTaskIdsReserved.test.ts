import { describe, expect, it } from "vitest";
import { InvalidTransitionError, ValidationError } from "./errors.ts";
import { submitPlanningRequest } from "./planning.ts";
import {
  cancelPlan,
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlan,
  markPlanExecutionStarted,
} from "./plans.ts";
import { countTasksByStatus, createTask, createTasks, getTask, requeueTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

async function plan(id: string, subtasks: string[]): Promise<void> {
  const planningTaskId = (await submitPlanningRequest(t.db, { taskDescription: "do it" })).id;
  await createExecutionPlan(t.db, {
    id,
    planningTaskId,
    planData: { sub_tasks: subtasks.map((s) => ({ id: s, title: s })) },
  });
}

describe("a plan's task ids", () => {
  it("are reserved: a plain task given an id under an existing plan's prefix is refused, before the plan's tasks exist", async () => {
    await plan("p1", ["a"]);
    for (const call of [
      () => createTask(t.db, { id: "p1:a", title: "plain", taskType: "t" }),
      () =>
        createTasks(t.db, [
          { title: "ok", taskType: "t" },
          { id: "p1:other", title: "plain", taskType: "t" },
        ]),
    ]) {
      const refused = call();
      await expect(refused).rejects.toBeInstanceOf(ValidationError);
      await expect(refused).rejects.toMatchObject({ issues: [{ path: "id" }] });
    }
    expect(Object.values(await countTasksByStatus(t.db)).reduce((a, b) => a + b, 0)).toBe(0);
    // The plan's own tasks are unaffected, and an id with ':' that names no plan is a plain id.
    expect(await createPlannedSubtasksFromPlan(t.db, "p1")).toBe(1);
    expect((await getTask(t.db, "p1:a"))!.planId).toBe("p1");
    expect((await createTask(t.db, { id: "ext:42", title: "plain", taskType: "t" })).id).toBe("ext:42");
  });
});

describe("requeueing a task of a cancelled plan", () => {
  it("is refused naming the plan: the plan stays cancelled and the task does not run", async () => {
    await plan("p2", ["a", "b"]);
    await createPlannedSubtasksFromPlan(t.db, "p2");
    await markPlanExecutionStarted(t.db, "p2");
    await cancelPlan(t.db, "p2");
    const refused = requeueTask(t.db, "p2:a");
    await expect(refused).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(refused).rejects.toThrow(/plan p2 was cancelled/);
    expect((await getTask(t.db, "p2:a"))!.status).toBe("cancelled");
    expect((await getExecutionPlan(t.db, "p2"))!.status).toBe("cancelled");
  });
});
