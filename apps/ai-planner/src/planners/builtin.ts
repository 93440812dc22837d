import type { Complexity, PlanningRequest, SubTaskInput } from "@hive/models";
import { criticalPath, type Planner, type PlannerOutput, validatePlanOutput, workflowOf } from "./types.ts";

const KEYWORDS: [RegExp, string][] = [
  [/\bapi|endpoint|rest|graphql|service\b/i, "api"],
  [/\bfront[- ]?end|\bui\b|web page|dashboard|react/i, "frontend"],
  [/\bdatabase|\bdb\b|schema|storage|sql/i, "database"],
  [/\bauth|login|oauth|permission/i, "auth"],
  [/\bworker|queue|job|pipeline/i, "worker"],
];

/** A component name as a subtask id segment: lower case, [a-z0-9-], at most 40 chars. */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  return s || "component";
}

function componentsOf(request: PlanningRequest): string[] {
  const ctx = request.contextData ?? {};
  const given = Array.isArray(ctx.components)
    ? ctx.components.filter((c): c is string => typeof c === "string")
    : [];
  const names =
    given.length > 0 ? given : KEYWORDS.filter(([re]) => re.test(request.taskDescription)).map(([, n]) => n);
  const unique: string[] = [];
  for (const n of names.map(slug)) if (!unique.includes(n)) unique.push(n);
  return (unique.length > 0 ? unique : ["core"]).slice(0, 50);
}

function complexityOf(request: PlanningRequest, components: number): Complexity {
  const c = request.contextData?.complexity ?? request.complexityEstimate;
  if (c === "simple" || c === "medium" || c === "complex") return c;
  return components <= 1 ? "simple" : components <= 3 ? "medium" : "complex";
}

const SCALE: Record<Complexity, number> = { simple: 1, medium: 2, complex: 4 };

/**
 * The deterministic built-in planner (default; no network). Phases: analysis → design → one
 * implementation and one test subtask per component (fan-out) → review (fan-in) → deployment
 * (task type `deployment`, for the deployer). Same request, same plan.
 */
export function createBuiltinPlanner(): Planner {
  return {
    kind: "builtin",
    async plan(request: PlanningRequest): Promise<PlannerOutput> {
      const ctx = request.contextData ?? {};
      const components = componentsOf(request);
      const complexity = complexityOf(request, components.length);
      const k = SCALE[complexity];
      const env = String(ctx.target_environment ?? ctx.environment ?? "local");
      const skipTests = ctx.skip_tests === true;
      const deploy = ctx.deploy !== false;
      const subs: SubTaskInput[] = [
        {
          id: "analysis",
          title: "Analyse the request",
          description: `Analyse: ${request.taskDescription}`,
          task_type: "analysis",
          priority: 50,
          workflow_phase: "analysis",
          required_skills: ["analysis"],
          deliverables: ["requirements"],
          estimated_duration: 10 * k,
          complexity,
        },
        {
          id: "design",
          title: "Design the solution",
          description: `Design components: ${components.join(", ")}`,
          task_type: "design",
          priority: 40,
          dependencies: ["analysis"],
          workflow_phase: "design",
          required_skills: ["design"],
          deliverables: ["design document"],
          estimated_duration: 15 * k,
          complexity,
        },
      ];
      const reviewDeps: string[] = [];
      for (const c of components) {
        subs.push({
          id: `impl-${c}`,
          title: `Implement ${c}`,
          description: `Implement the ${c} component`,
          task_type: "implementation",
          priority: 30,
          dependencies: ["design"],
          workflow_phase: "implementation",
          required_skills: ["coding"],
          deliverables: [`${c} source`],
          estimated_duration: 30 * k,
          complexity,
        });
        if (skipTests) reviewDeps.push(`impl-${c}`);
        else {
          subs.push({
            id: `test-${c}`,
            title: `Test ${c}`,
            description: `Write and run the tests of ${c}`,
            task_type: "testing",
            priority: 20,
            dependencies: [`impl-${c}`],
            workflow_phase: "testing",
            required_skills: ["testing"],
            deliverables: [`${c} test report`],
            estimated_duration: 15 * k,
            complexity,
          });
          reviewDeps.push(`test-${c}`);
        }
      }
      subs.push({
        id: "review",
        title: "Review and integrate",
        description: "Review every component and integrate them",
        task_type: "review",
        priority: 10,
        dependencies: reviewDeps,
        workflow_phase: "review",
        required_skills: ["review"],
        deliverables: ["review notes"],
        estimated_duration: 10 * k,
        complexity,
      });
      if (deploy) {
        const deployment = ctx.deployment;
        subs.push({
          id: "deploy",
          title: `Deploy to ${env}`,
          description: `Deploy the integrated result to ${env}`,
          task_type: "deployment",
          priority: 5,
          dependencies: ["review"],
          workflow_phase: "deployment",
          required_skills: ["deploy"],
          deliverables: ["release"],
          estimated_duration: 5 * k,
          complexity,
          payload:
            deployment && typeof deployment === "object" && !Array.isArray(deployment)
              ? { ...(deployment as Record<string, never>), environment: env }
              : // No deployment settings: a command deployment that only records the release.
                {
                  strategy: "command",
                  commands: [["node", "-e", `console.log("deployed to ${env.replace(/[^\w.-]/g, "_")}")`]],
                  environment: env,
                },
        });
      }
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
