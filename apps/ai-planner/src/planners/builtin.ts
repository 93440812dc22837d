import type { Complexity, JsonObject, PlanningRequest, SubTaskInput } from "@hive/models";
import { criticalPath, type Planner, type PlannerOutput, validatePlanOutput, workflowOf } from "./types.ts";

/** Components guessed from the description when the context names none. */
const KEYWORDS: [RegExp, string][] = [
  [/\b(?:apis?|endpoints?|rest|graphql|services?)\b/i, "api"],
  [/\b(?:front[- ]?end|ui|web ?pages?|dashboards?|react)\b/i, "frontend"],
  [/\b(?:databases?|db|schemas?|storage|sql)\b/i, "database"],
  [/\b(?:auth\w*|login|oauth|permissions?)\b/i, "auth"],
  [/\b(?:workers?|queues?|jobs?|pipelines?)\b/i, "worker"],
];

/** At most this many components (two subtasks each) in one plan. */
export const MAX_COMPONENTS = 50;

/** A component name as a subtask id segment: lower case, [a-z0-9-], at most 40 chars. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return s || "component";
}

/** Component slugs: the context's `components` (strings or `{ name }`), else guessed from the description. */
export function componentsOf(request: PlanningRequest): string[] {
  const given = request.contextData?.components;
  const named = (Array.isArray(given) ? given : [])
    .map((c) =>
      typeof c === "string" ? c : c && typeof c === "object" && !Array.isArray(c) ? c.name : undefined,
    )
    .filter((c): c is string => typeof c === "string" && c.trim() !== "");
  const names =
    named.length > 0 ? named : KEYWORDS.filter(([re]) => re.test(request.taskDescription)).map(([, n]) => n);
  const unique = [...new Set(names.map(slug))];
  return (unique.length > 0 ? unique : ["core"]).slice(0, MAX_COMPONENTS);
}

function complexityOf(request: PlanningRequest, components: number): Complexity {
  const c = request.contextData?.complexity ?? request.complexityEstimate;
  if (c === "simple" || c === "medium" || c === "complex") return c;
  return components <= 1 ? "simple" : components <= 3 ? "medium" : "complex";
}

/**
 * The environment name: context `target_environment` or `environment` when a string (its first
 * 100 characters: it appears in titles), else "local".
 */
function environmentOf(ctx: JsonObject): string {
  const env = ctx.target_environment ?? ctx.environment;
  return typeof env === "string" && env.trim() !== "" ? env.trim().slice(0, 100) : "local";
}

const SCALE: Record<Complexity, number> = { simple: 1, medium: 2, complex: 4 };

function deploymentPayload(ctx: JsonObject, env: string): JsonObject {
  const deployment = ctx.deployment;
  if (deployment && typeof deployment === "object" && !Array.isArray(deployment))
    return { ...deployment, environment: env };
  // No deployment settings: a command deployment that only records the release.
  return {
    strategy: "command",
    commands: [["node", "-e", `console.log("deployed to ${env.replace(/[^\w.-]/g, "_")}")`]],
    environment: env,
  };
}

/**
 * The deterministic built-in planner (default; no network). Same request, same plan:
 *
 *   analysis ─┬─ design ─┬─ impl-<c> ─┐               (one implementation per component: fan-out)
 *             │          └─ …         ├─ test-<c> ─┬─ review ── deploy
 *             └─ acceptance ──────────┘            ┘  (fan-in)   (task type `deployment`)
 *
 * Each component's tests wait for its implementation and for the acceptance criteria, which are
 * written in parallel with the design; the review waits for every test (or, with
 * `skip_tests: true`, every implementation and the criteria). `deploy: false` in the context
 * leaves the deployment out. Estimates scale with the complexity (context `complexity`, the
 * request's estimate, or the number of components).
 */
export function createBuiltinPlanner(): Planner {
  return {
    kind: "builtin",
    async plan(request: PlanningRequest): Promise<PlannerOutput> {
      const ctx = request.contextData ?? {};
      const components = componentsOf(request);
      const complexity = complexityOf(request, components.length);
      const k = SCALE[complexity];
      const env = environmentOf(ctx);
      const skipTests = ctx.skip_tests === true;
      const step = (s: SubTaskInput & { task_type: string }): SubTaskInput => ({
        workflow_phase: s.task_type,
        complexity,
        ...s,
      });
      const subs: SubTaskInput[] = [
        step({
          id: "analysis",
          title: "Analyse the request",
          description: `Analyse: ${request.taskDescription}`,
          task_type: "analysis",
          priority: 50,
          required_skills: ["analysis"],
          deliverables: ["requirements"],
          estimated_duration: 10 * k,
        }),
        step({
          id: "design",
          title: "Design the solution",
          description: `Design components: ${components.join(", ")} (target: ${env})`,
          task_type: "design",
          priority: 40,
          dependencies: ["analysis"],
          required_skills: ["design"],
          deliverables: ["design document"],
          estimated_duration: 15 * k,
        }),
        step({
          id: "acceptance",
          title: "Define acceptance criteria",
          description: "Turn the requirements into acceptance criteria and test cases",
          task_type: "testing",
          workflow_phase: "design",
          priority: 40,
          dependencies: ["analysis"],
          required_skills: ["testing"],
          deliverables: ["acceptance criteria"],
          estimated_duration: 5 * k,
        }),
      ];
      const reviewDeps: string[] = skipTests ? ["acceptance"] : [];
      for (const c of components) {
        subs.push(
          step({
            id: `impl-${c}`,
            title: `Implement ${c}`,
            description: `Implement the ${c} component`,
            task_type: "implementation",
            priority: 30,
            dependencies: ["design"],
            required_skills: ["coding"],
            deliverables: [`${c} source`],
            estimated_duration: 30 * k,
          }),
        );
        if (skipTests) {
          reviewDeps.push(`impl-${c}`);
          continue;
        }
        subs.push(
          step({
            id: `test-${c}`,
            title: `Test ${c}`,
            description: `Write and run the tests of ${c} against the acceptance criteria`,
            task_type: "testing",
            priority: 20,
            dependencies: [`impl-${c}`, "acceptance"],
            required_skills: ["testing"],
            deliverables: [`${c} test report`],
            estimated_duration: 15 * k,
          }),
        );
        reviewDeps.push(`test-${c}`);
      }
      subs.push(
        step({
          id: "review",
          title: "Review and integrate",
          description: "Review every component and integrate them",
          task_type: "review",
          priority: 10,
          dependencies: reviewDeps,
          required_skills: ["review"],
          deliverables: ["review notes"],
          estimated_duration: 10 * k,
        }),
      );
      if (ctx.deploy !== false)
        subs.push(
          step({
            id: "deploy",
            title: `Deploy to ${env}`,
            description: `Deploy the integrated result to ${env}`,
            task_type: "deployment",
            priority: 5,
            dependencies: ["review"],
            required_skills: ["deploy"],
            deliverables: ["release"],
            estimated_duration: 5 * k,
            payload: deploymentPayload(ctx, env),
          }),
        );
      const planData = validatePlanOutput({ sub_tasks: subs, on_failure: "block" });
      return {
        planData,
        estimatedDuration: criticalPath(planData),
        estimatedComplexity: complexity,
        generatedWorkflow: workflowOf(planData),
      };
    },
  };
}
