import { describe, expect, it } from "vitest";
import { PlanValidationError, ValidationError } from "./errors.ts";
import { submitPlanningRequest } from "./planning.ts";
import {
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlan,
  getPlanExecution,
} from "./plans.ts";
import { createTask, getTask, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { withTx } from "./tx.ts";

const t = useTempDatabase();

const request = async () => (await submitPlanningRequest(t.db, { taskDescription: "do it" })).id;

describe("plan task ids", () => {
  it("refuses a caller-given plan id with ':', so two plans' task ids can never meet", async () => {
    const planningTaskId = await request();
    await createExecutionPlan(t.db, {
      id: "p",
      planningTaskId,
      planData: { sub_tasks: [{ id: "x:y", title: "A" }] },
    });
    const refused = createExecutionPlan(t.db, {
      id: "p:x",
      planningTaskId,
      planData: { sub_tasks: [{ id: "y", title: "A" }] },
    });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      issues: [{ path: "id", message: expect.stringContaining(":") }],
    });
    expect(await getExecutionPlan(t.db, "p:x")).toBeNull();
    expect(await createPlannedSubtasksFromPlan(t.db, "p")).toBe(1);
    expect((await getTask(t.db, "p:x:y"))!.planId).toBe("p");
  });

  it("refuses a plan whose subtask would get the id of an existing task, naming both", async () => {
    await createTask(t.db, { id: "q:a", title: "plain", taskType: "t" });
    const refused = createExecutionPlan(t.db, {
      id: "q",
      planningTaskId: await request(),
      planData: {
        sub_tasks: [
          { id: "a", title: "A" },
          { id: "b", title: "B" },
        ],
      },
    });
    await expect(refused).rejects.toBeInstanceOf(PlanValidationError);
    await expect(refused).rejects.toMatchObject({
      message: expect.stringMatching(/subtask "a".*task "q:a"/),
      issues: [{ code: "task_id_taken", ids: ["a", "q:a"] }],
    });
    expect(await getExecutionPlan(t.db, "q")).toBeNull();
    expect((await getTask(t.db, "q:a"))!.planId).toBeNull();
  });

  it("refuses to create a plan's tasks when a task took a subtask's id meanwhile, writing nothing", async () => {
    await createExecutionPlan(t.db, {
      id: "q",
      planningTaskId: await request(),
      planData: {
        sub_tasks: [
          { id: "a", title: "A" },
          { id: "b", title: "B", dependencies: ["a"] },
        ],
      },
    });
    // createTask refuses "q:b" once plan q exists: a race, or a write around the library.
    await createTask(t.db, { id: "squatter", title: "plain", taskType: "t" });
    await withTx(t.db, (tx) => tx.ex.run("UPDATE tasks SET id = 'q:b' WHERE id = 'squatter'", []));
    const refused = createPlannedSubtasksFromPlan(t.db, "q");
    await expect(refused).rejects.toBeInstanceOf(PlanValidationError);
    await expect(refused).rejects.toMatchObject({
      message: expect.stringMatching(/subtask "b".*task "q:b"/),
    });
    expect(await listTasks(t.db, { planId: "q" })).toEqual([]);
    expect(await getPlanExecution(t.db, "q")).toBeNull();
    expect((await getTask(t.db, "q:b"))!.planId).toBeNull();
  });
});
