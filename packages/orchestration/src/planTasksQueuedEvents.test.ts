import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { submitPlanningRequest } from "./planning.ts";
import {
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  markPlanExecutionStarted,
  subtaskTaskId,
} from "./plans.ts";
import { getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();
const planData = {
  sub_tasks: [
    { id: "a", title: "A" },
    { id: "b", title: "B" },
    { id: "c", title: "C", dependencies: ["a", "b"] },
  ],
};

async function plan(): Promise<string> {
  const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
  return (await createExecutionPlan(t.db, { planningTaskId: request.id, planData, status: "approved" })).id;
}

function queuedEvents(): string[] {
  const queued: string[] = [];
  t.db.events.on("task.queued", (e: Extract<HiveEvent, { type: "task.queued" }>) => queued.push(e.taskId));
  return queued;
}

describe("the queued tasks of a plan announce themselves", () => {
  it("when the plan was started before its tasks were created", async () => {
    const planId = await plan();
    await markPlanExecutionStarted(t.db, planId);
    const queued = queuedEvents();
    expect(await createPlannedSubtasksFromPlan(t.db, planId)).toBe(3);
    expect((await getTask(t.db, subtaskTaskId(planId, "a")))!.status).toBe("queued");
    expect(queued.sort()).toEqual([subtaskTaskId(planId, "a"), subtaskTaskId(planId, "b")]);
  });

  it("when their plan starts after they were created (and not when they are created)", async () => {
    const planId = await plan();
    const queued = queuedEvents();
    await createPlannedSubtasksFromPlan(t.db, planId);
    expect(queued).toEqual([]);
    await markPlanExecutionStarted(t.db, planId);
    expect(queued.sort()).toEqual([subtaskTaskId(planId, "a"), subtaskTaskId(planId, "b")]);
  });
});
