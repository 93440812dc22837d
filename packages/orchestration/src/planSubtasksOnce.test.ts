import { describe, expect, it } from "vitest";
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
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

async function draftPlanWithTasks(): Promise<string> {
  const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
  const plan = await createExecutionPlan(t.db, {
    planningTaskId: request.id,
    planData: { sub_tasks: [{ id: "a", title: "A" }] },
  });
  expect(await createPlannedSubtasksFromPlan(t.db, plan.id)).toBe(1);
  return plan.id;
}

describe("createPlannedSubtasksFromPlan after the plan's tasks were deleted", () => {
  it("creates nothing and returns 0 for a draft plan whose every task was deleted", async () => {
    const planId = await draftPlanWithTasks();
    expect(await deleteTask(t.db, subtaskTaskId(planId, "a"))).toBe(true);
    expect(await createPlannedSubtasksFromPlan(t.db, planId)).toBe(0);
    expect(await getTask(t.db, subtaskTaskId(planId, "a"))).toBeNull();
    expect((await getPlanExecution(t.db, planId))!.totalSubtasks).toBe(0);
    expect(await checkDatabase(t.db)).toMatchObject({ planCounterMismatches: 0, foreignKeyViolations: 0 });
  });

  it("leaves the plan startable: started with nothing left, it is cancelled", async () => {
    const planId = await draftPlanWithTasks();
    await deleteTask(t.db, subtaskTaskId(planId, "a"));
    await createPlannedSubtasksFromPlan(t.db, planId);
    await markPlanExecutionStarted(t.db, planId);
    expect(await getExecutionPlanStatus(t.db, planId)).toBe("cancelled");
  });
});
