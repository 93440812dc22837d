import {
  type Complexity,
  checkPlanGraph,
  formatZodIssues,
  type PlanData,
  PlanDataSchema,
  type PlanningRequest,
} from "@hive/models";

/** What a planner returns for a request: validated plan data and its estimates. */
export interface PlannerOutput {
  planData: PlanData;
  /** Estimated minutes along the critical path (the longest dependency chain). */
  estimatedDuration: number;
  estimatedComplexity: Complexity;
  /** Phase name → subtask ids, in phase order. */
  generatedWorkflow: Record<string, string[]>;
}

export interface Planner {
  readonly kind: string;
  plan(request: PlanningRequest, opts?: { signal?: AbortSignal }): Promise<PlannerOutput>;
}

/** The plan is not valid (schema, dangling dependency, cycle…); retrying the same input won't help. */
export class PlanRejectedError extends Error {
  override name = "PlanRejectedError";
}

/** The planner could not be reached or answered with an error; worth retrying later. */
export class PlannerUnavailableError extends Error {
  override name = "PlannerUnavailableError";
}

/** Schema, then graph checks; throws PlanRejectedError with a readable reason. */
export function validatePlanOutput(raw: unknown): PlanData {
  const parsed = PlanDataSchema.safeParse(raw);
  if (!parsed.success) throw new PlanRejectedError(`schema error: ${formatZodIssues(parsed.error)}`);
  const issues = checkPlanGraph(parsed.data);
  if (issues.length > 0) throw new PlanRejectedError(issues.map((i) => i.message).join("; "));
  return parsed.data;
}

/** Minutes along the longest dependency chain (the plan's duration with unlimited workers). */
export function criticalPath(plan: PlanData): number {
  const byId = new Map(plan.sub_tasks.map((s) => [s.id, s]));
  const memo = new Map<string, number>();
  // Subtasks are validated acyclic; order them so dependencies come first (Kahn) to stay iterative.
  const indeg = new Map(plan.sub_tasks.map((s) => [s.id, s.dependencies.length]));
  const dependents = new Map<string, string[]>();
  for (const s of plan.sub_tasks)
    for (const d of s.dependencies) dependents.set(d, [...(dependents.get(d) ?? []), s.id]);
  const queue = plan.sub_tasks.filter((s) => s.dependencies.length === 0).map((s) => s.id);
  let best = 0;
  while (queue.length > 0) {
    const id = queue.shift()!;
    const s = byId.get(id)!;
    const start = Math.max(0, ...s.dependencies.map((d) => memo.get(d) ?? 0));
    const end = start + s.estimated_duration;
    memo.set(id, end);
    best = Math.max(best, end);
    for (const n of dependents.get(id) ?? []) {
      indeg.set(n, indeg.get(n)! - 1);
      if (indeg.get(n) === 0) queue.push(n);
    }
  }
  return best;
}

/** Phase → subtask ids, phases in first-appearance order. */
export function workflowOf(plan: PlanData): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of plan.sub_tasks) {
    out[s.workflow_phase] ??= [];
    out[s.workflow_phase]?.push(s.id);
  }
  return out;
}
