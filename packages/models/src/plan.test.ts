import { describe, expect, it } from "vitest";
import { checkPlanGraph, PlanDataSchema } from "./plan.ts";
import { SubmitPlanningRequestInputSchema } from "./planning.ts";
import { formatZodIssues } from "./validation.ts";

const plan = (subs: { id: string; dependencies?: string[] }[]) =>
  PlanDataSchema.parse({ sub_tasks: subs.map((s) => ({ title: s.id, ...s })) });

describe("PlanDataSchema", () => {
  it("accepts the snake_case subtask shape with defaults", () => {
    const p = plan([{ id: "a" }, { id: "b", dependencies: ["a"] }]);
    expect(p.sub_tasks[1]).toMatchObject({
      task_type: "generic",
      priority: 1,
      required_skills: [],
      complexity: "medium",
    });
    expect(p.on_failure).toBe("block");
  });

  it("rejects a plan without subtasks and an id with spaces, naming the path", () => {
    const r1 = PlanDataSchema.safeParse({ sub_tasks: [] });
    expect(r1.success).toBe(false);
    const r2 = PlanDataSchema.safeParse({ sub_tasks: [{ id: "a b", title: "x" }] });
    expect(r2.success).toBe(false);
    if (!r2.success) expect(formatZodIssues(r2.error)).toMatch(/^sub_tasks\.0\.id:/);
  });
});

describe("checkPlanGraph", () => {
  it("finds nothing wrong in a DAG with fan-out and fan-in", () => {
    expect(
      checkPlanGraph(
        plan([
          { id: "a" },
          { id: "b", dependencies: ["a"] },
          { id: "c", dependencies: ["a"] },
          { id: "d", dependencies: ["b", "c"] },
        ]),
      ),
    ).toEqual([]);
  });

  it("names the cycle", () => {
    const issues = checkPlanGraph(
      plan([
        { id: "a", dependencies: ["c"] },
        { id: "b", dependencies: ["a"] },
        { id: "c", dependencies: ["b"] },
      ]),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe("cycle");
    expect(issues[0]!.message).toMatch(/a -> c -> b -> a|c -> b -> a -> c|b -> a -> c -> b/);
  });

  it("reports dangling dependencies, self-dependencies and duplicate ids", () => {
    const codes = checkPlanGraph(plan([{ id: "a", dependencies: ["a", "zz"] }, { id: "a" }])).map(
      (i) => i.code,
    );
    expect(codes).toEqual(expect.arrayContaining(["duplicate_id", "self_dependency", "unknown_dependency"]));
  });

  it("handles a 100k-node chain without recursion overflow", () => {
    const subs = Array.from({ length: 100_000 }, (_, i) => ({
      id: `n${i}`,
      dependencies: i ? [`n${i - 1}`] : [],
    }));
    expect(checkPlanGraph(plan(subs))).toEqual([]);
  });
});

describe("SubmitPlanningRequestInputSchema", () => {
  it("rejects an empty description, a non-object context and an oversized context", () => {
    expect(SubmitPlanningRequestInputSchema.safeParse({ taskDescription: " " }).success).toBe(false);
    expect(
      SubmitPlanningRequestInputSchema.safeParse({ taskDescription: "x", contextData: [1] }).success,
    ).toBe(false);
    const big = { blob: "x".repeat(300 * 1024) };
    const r = SubmitPlanningRequestInputSchema.safeParse({ taskDescription: "x", contextData: big });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodIssues(r.error)).toContain("contextData");
  });
});
