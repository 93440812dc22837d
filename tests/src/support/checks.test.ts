import type { ExecutionPlan, Run, Task } from "@hive/models";
import { describe, expect, it } from "vitest";
import {
  dependencyOrderProblems,
  overlapProblems,
  type PlanSnapshot,
  planShapeProblems,
  runAccountingProblems,
} from "./checks.ts";

// The e2e checks are only worth something if they can fail: these feed them broken histories.
const run = (
  taskId: string,
  runNumber: number,
  status: Run["status"],
  startedAt: number,
  completedAt: number | null,
) =>
  ({ id: `${taskId}-${runNumber}`, taskId, workerId: "w", runNumber, status, startedAt, completedAt }) as Run;
const task = (subtaskId: string, status: Task["status"], attempts: number) =>
  ({
    id: `p:${subtaskId}`,
    subtaskId,
    planId: "p",
    status,
    attempts,
    taskType: "generic",
    title: subtaskId,
  }) as Task;

function snapshot(
  runs: Record<string, Run[]>,
  tasks = [task("a", "completed", 1), task("b", "completed", 1)],
) {
  return {
    plan: {
      id: "p",
      subtaskCount: 2,
      dependencyCount: 1,
      planData: {
        on_failure: "block",
        sub_tasks: [
          { id: "a", title: "a", task_type: "generic", dependencies: [] },
          { id: "b", title: "b", task_type: "generic", dependencies: ["a"] },
        ],
      },
    } as unknown as ExecutionPlan,
    execution: null,
    tasks,
    runs: new Map(Object.entries(runs).map(([k, v]) => [`p:${k}`, v])),
    deps: new Map([
      ["p:a", []],
      ["p:b", ["p:a"]],
    ]),
  } satisfies PlanSnapshot;
}

describe("plan checks", () => {
  it("accept a history that respects the edges", () => {
    const s = snapshot({ a: [run("p:a", 1, "completed", 10, 20)], b: [run("p:b", 1, "completed", 20, 30)] });
    expect([
      planShapeProblems(s),
      dependencyOrderProblems(s),
      overlapProblems(s),
      runAccountingProblems(s),
    ]).toEqual([[], [], [], []]);
  });

  it("catch a run that started before its dependency completed", () => {
    const s = snapshot({ a: [run("p:a", 1, "completed", 10, 20)], b: [run("p:b", 1, "completed", 19, 30)] });
    expect(dependencyOrderProblems(s)).toEqual(["b run 1 started at 19, before a completed at 20"]);
  });

  it("catch two runs of one task at the same time, a run lost from the books, and a second completion", () => {
    const s = snapshot(
      {
        a: [run("p:a", 1, "completed", 10, 20)],
        b: [run("p:b", 1, "completed", 20, 30), run("p:b", 3, "completed", 25, 40)],
      },
      [task("a", "completed", 1), task("b", "completed", 3)],
    );
    expect(overlapProblems(s)).toEqual(["b: run 1 [20, 30] overlaps run 3 starting 25"]);
    expect(runAccountingProblems(s)).toEqual(["b: runs [1,3] for 3 attempts", "b: 2 completed runs"]);
  });

  it("catch an edge the plan does not have", () => {
    const s = snapshot({ a: [], b: [] });
    s.deps.set("p:a", ["p:b"]);
    expect(planShapeProblems(s)).toEqual(["a: edges [p:b], plan says []"]);
  });
});
