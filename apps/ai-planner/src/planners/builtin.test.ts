import type { JsonObject, PlanData, PlanningRequest } from "@hive/models";
import { checkPlanGraph } from "@hive/models";
import { validatePlanData } from "@hive/orchestration";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { makeRequest } from "../testing/fixtures.ts";
import { componentsOf, createBuiltinPlanner, MAX_COMPONENTS } from "./builtin.ts";

const request = (
  taskDescription: string,
  contextData: JsonObject | null,
  extra: Partial<PlanningRequest> = {},
) => makeRequest({ taskDescription, contextData, ...extra });

/** Kahn's algorithm, independent of the models' DFS: the ids in an order where dependencies come first, or null on a cycle. */
function topologicalOrder(plan: PlanData): string[] | null {
  const indegree = new Map(plan.sub_tasks.map((s) => [s.id, s.dependencies.length]));
  const dependents = new Map<string, string[]>();
  for (const s of plan.sub_tasks)
    for (const d of s.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), s.id]);
  const ready = plan.sub_tasks.filter((s) => s.dependencies.length === 0).map((s) => s.id);
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.pop()!;
    order.push(id);
    for (const n of dependents.get(id) ?? []) {
      indegree.set(n, indegree.get(n)! - 1);
      if (indegree.get(n) === 0) ready.push(n);
    }
  }
  return order.length === plan.sub_tasks.length ? order : null;
}

/** Every subtask that `id` waits for, directly or not. */
function ancestors(plan: PlanData, id: string): Set<string> {
  const byId = new Map(plan.sub_tasks.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(id)?.dependencies ?? [])];
  while (stack.length > 0) {
    const d = stack.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    stack.push(...(byId.get(d)?.dependencies ?? []));
  }
  return seen;
}

const word = fc.constantFrom(
  "build",
  "a",
  "REST",
  "api",
  "with",
  "dashboard",
  "database",
  "login",
  "queue",
  "interesting",
  "restaurant",
  "for",
  "the",
  "UI",
  "pipeline",
  "ünïcödé",
  "🚀",
);
const description = fc.oneof(
  fc.array(word, { minLength: 1, maxLength: 30 }).map((w) => w.join(" ")),
  fc.string({ minLength: 1, maxLength: 2000 }).filter((s) => s.trim() !== ""),
);
const component = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.constantFrom("api", "API", "Front End", "database!!", "--", "ünïcödé", "a".repeat(80)),
  fc.record({ name: fc.string({ maxLength: 60 }) }),
  fc.integer(),
  fc.constant(null),
);
const environment = fc.oneof(
  fc.constantFrom("staging", "production", "local", " ", "prod/eu-west-1"),
  fc.string({ maxLength: 40 }),
  fc.string({ minLength: 400, maxLength: 700 }), // longer than a title may be
  fc.integer(),
  fc.constant(null),
);
const context: fc.Arbitrary<JsonObject | null> = fc.option(
  fc.record(
    {
      components: fc.oneof(fc.array(component, { maxLength: 70 }), fc.string(), fc.constant(null)),
      target_environment: environment,
      environment,
      complexity: fc.constantFrom("simple", "medium", "complex", "huge", 3),
      skip_tests: fc.oneof(fc.boolean(), fc.constant("yes")),
      deploy: fc.oneof(fc.boolean(), fc.constant(0)),
      deployment: fc.oneof(
        fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
        fc.constant("rsync"),
      ),
      notes: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<JsonObject>,
  { nil: null },
);
const requests = fc
  .tuple(
    description,
    context,
    fc.option(fc.constantFrom("simple", "medium", "complex", "unknown"), { nil: null }),
  )
  .map(([d, c, estimate]) => request(d, c, { complexityEstimate: estimate }));

describe("built-in planner", () => {
  const planner = createBuiltinPlanner();

  it("produces a schema-valid, acyclic plan with fan-out and fan-in for any request", async () => {
    await fc.assert(
      fc.asyncProperty(requests, async (req) => {
        const out = await planner.plan(req);
        const plan = out.planData;
        // The same validation the orchestration core applies before storing a plan.
        expect(() => validatePlanData(plan)).not.toThrow();
        expect(checkPlanGraph(plan)).toEqual([]);
        const order = topologicalOrder(plan);
        expect(order, "the plan has a cycle").not.toBeNull();

        const dependents = new Map<string, number>();
        for (const s of plan.sub_tasks)
          for (const d of s.dependencies) dependents.set(d, (dependents.get(d) ?? 0) + 1);
        expect(Math.max(...dependents.values()), "no subtask fans out").toBeGreaterThanOrEqual(2);
        expect(
          Math.max(...plan.sub_tasks.map((s) => s.dependencies.length)),
          "no subtask fans in",
        ).toBeGreaterThanOrEqual(2);

        const components = componentsOf(req);
        expect(components.length).toBeGreaterThanOrEqual(1);
        expect(components.length).toBeLessThanOrEqual(MAX_COMPONENTS);
        for (const c of components)
          expect(plan.sub_tasks.find((s) => s.id === `impl-${c}`)?.dependencies).toEqual(["design"]);

        for (const s of plan.sub_tasks) {
          expect(s.required_skills.length).toBeGreaterThan(0);
          expect(s.estimated_duration).toBeGreaterThan(0);
          // What must run first is never ranked below what waits for it.
          for (const d of s.dependencies)
            expect(plan.sub_tasks.find((x) => x.id === d)!.priority).toBeGreaterThanOrEqual(s.priority);
        }

        const sinks = plan.sub_tasks.filter((s) => !dependents.has(s.id));
        expect(sinks).toHaveLength(1);
        const last = plan.sub_tasks.at(-1)!;
        expect(sinks[0]!.id).toBe(last.id);
        expect(ancestors(plan, last.id).size).toBe(plan.sub_tasks.length - 1);
        if (req.contextData?.deploy === false) {
          expect(last.id).toBe("review");
          expect(plan.sub_tasks.some((s) => s.task_type === "deployment")).toBe(false);
        } else {
          expect(last.task_type).toBe("deployment");
          expect(plan.sub_tasks.filter((s) => s.task_type === "deployment")).toHaveLength(1);
          expect(last.payload?.environment).toEqual(expect.any(String));
        }

        // Estimates: the critical path lies between the longest subtask and the sum of all.
        const durations = plan.sub_tasks.map((s) => s.estimated_duration);
        expect(out.estimatedDuration).toBeGreaterThanOrEqual(Math.max(...durations));
        expect(out.estimatedDuration).toBeLessThanOrEqual(durations.reduce((a, b) => a + b, 0));
        expect(Object.values(out.generatedWorkflow).flat().sort()).toEqual(
          plan.sub_tasks.map((s) => s.id).sort(),
        );

        // Deterministic: the same request gives the same plan.
        expect(await planner.plan(req)).toEqual(out);
      }),
      // No shrinking: on long generated strings it can run for many minutes; the unshrunk
      // counterexample and the planner's error message say enough.
      { numRuns: 300, endOnFailure: true },
    );
  });

  it("builds one implementation and one test per component, tests waiting for the acceptance criteria", async () => {
    const out = await planner.plan(
      request("shop", { components: ["api", { name: "Web UI" }], target_environment: "staging" }),
    );
    const deps = Object.fromEntries(out.planData.sub_tasks.map((s) => [s.id, s.dependencies]));
    expect(deps).toEqual({
      analysis: [],
      design: ["analysis"],
      acceptance: ["analysis"],
      "impl-api": ["design"],
      "test-api": ["impl-api", "acceptance"],
      "impl-web-ui": ["design"],
      "test-web-ui": ["impl-web-ui", "acceptance"],
      review: ["test-api", "test-web-ui"],
      deploy: ["review"],
    });
    expect(out.planData.sub_tasks.at(-1)).toMatchObject({
      task_type: "deployment",
      title: "Deploy to staging",
      payload: { environment: "staging", strategy: "command" },
    });
    expect(out.estimatedComplexity).toBe("medium");
  });

  it("reviews implementations and criteria directly when tests are skipped, and leaves deployment out on request", async () => {
    const out = await planner.plan(request("tool", { components: ["cli"], skip_tests: true, deploy: false }));
    expect(out.planData.sub_tasks.map((s) => s.id)).toEqual([
      "analysis",
      "design",
      "acceptance",
      "impl-cli",
      "review",
    ]);
    expect(out.planData.sub_tasks.at(-1)!.dependencies).toEqual(["acceptance", "impl-cli"]);
  });

  it("guesses components from whole words of the description when the context names none", () => {
    expect(componentsOf(request("Build a REST API with a dashboard and a login page", null))).toEqual([
      "api",
      "frontend",
      "auth",
    ]);
    // "interesting" holds "rest", "restaurant" too: neither is an API.
    expect(componentsOf(request("an interesting restaurant menu", null))).toEqual(["core"]);
  });

  it("passes the deployment settings of the context to the deployment subtask", async () => {
    const out = await planner.plan(
      request("ship", { deployment: { strategy: "local", source: "dist" }, environment: "prod" }),
    );
    expect(out.planData.sub_tasks.at(-1)!.payload).toEqual({
      strategy: "local",
      source: "dist",
      environment: "prod",
    });
  });

  it("scales its estimates with the complexity", async () => {
    const simple = await planner.plan(request("x", { complexity: "simple" }));
    const complex = await planner.plan(request("x", { complexity: "complex" }));
    expect(complex.estimatedDuration).toBe(simple.estimatedDuration * 4);
    expect(complex.planData.sub_tasks.every((s) => s.complexity === "complex")).toBe(true);
  });
});
