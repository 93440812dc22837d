import { describe, expect, it } from "vitest";
import { PlanValidationError } from "./errors.ts";
import { checkSubtaskDependencies, subtaskTaskId, validatePlanData } from "./plans.ts";
import { getTask } from "./tasks.ts";
import { startedPlan, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("a subtask's dependencies", () => {
  it("are trimmed as subtask ids are, so a dependency written as its subtask's id is found", () => {
    const plan = validatePlanData({
      sub_tasks: [
        { id: " a ", title: "A" },
        { id: "b", title: "B", dependencies: [" a "] },
      ],
    });
    expect(plan.sub_tasks.map((s) => [s.id, s.dependencies])).toEqual([
      ["a", []],
      ["b", ["a"]],
    ]);
  });

  it("still refuse a dependency on no subtask, naming it", () => {
    const refuse = () =>
      validatePlanData({ sub_tasks: [{ id: "a", title: "A", dependencies: [" ghost "] }] });
    expect(refuse).toThrow(PlanValidationError);
    expect(refuse).toThrow('invalid plan: subtask "a" depends on "ghost", which is not in the plan');
  });

  it("become edges between the plan's tasks", async () => {
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a ", title: "A" },
        { id: "b", title: "B", dependencies: ["a "] },
      ],
    });
    expect((await getTask(t.db, subtaskTaskId(plan.id, "b")))!.status).toBe("blocked");
    expect(await checkSubtaskDependencies(t.db, subtaskTaskId(plan.id, "b"))).toBe(false);
  });
});
