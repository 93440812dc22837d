import { z } from "zod";
import {
  IdSchema,
  JsonObjectSchema,
  PrioritySchema,
  SkillListSchema,
  TEXT_RULE,
  TimestampSchema,
  text,
  unstorablePath,
} from "./common.ts";
import { ComplexitySchema } from "./planning.ts";

export const PlanStatusSchema = z.enum([
  "draft",
  "approved",
  "executing",
  "completed",
  "failed",
  "cancelled",
]);
export type PlanStatus = z.infer<typeof PlanStatusSchema>;

/** What happens to the descendants of a subtask that failed for good. */
export const FailurePolicySchema = z.enum(["block", "cancel"]);
export type FailurePolicy = z.infer<typeof FailurePolicySchema>;

/** One node of a plan, in the snake_case JSON shape plans are stored and exchanged in. */
export const SubTaskSchema = z.strictObject({
  id: text()
    .trim()
    .min(1, "must not be empty")
    .max(200)
    .regex(/^[A-Za-z0-9_.:-]+$/, "may hold only letters, digits, '_', '.', ':' and '-'"),
  title: text().trim().min(1, "must not be empty").max(500),
  description: text().max(100_000).default(""),
  task_type: text().trim().min(1).max(100).default("generic"),
  priority: PrioritySchema.default(1),
  /** Subtask ids, trimmed as `id` is: `" a "` names the subtask whose id was given as `" a "`. */
  dependencies: z.array(text().trim()).max(10_000).default([]),
  workflow_phase: text().max(100).default("implementation"),
  required_skills: SkillListSchema.default([]),
  deliverables: z.array(text().max(1000)).max(100).default([]),
  /** Estimated minutes. */
  estimated_duration: z.number().nonnegative().max(1_000_000).default(0),
  complexity: ComplexitySchema.default("medium"),
  assignee: text().max(200).nullable().default(null),
  max_retries: z.number().int().min(0).max(100).optional(),
  payload: JsonObjectSchema.optional(),
});
export type SubTask = z.output<typeof SubTaskSchema>;
export type SubTaskInput = z.input<typeof SubTaskSchema>;

export const PlanDataSchema = z
  .looseObject({
    sub_tasks: z.array(SubTaskSchema).min(1, "a plan needs at least one subtask").max(200_000),
    /** block (default): descendants of a failed subtask become upstream_failed; cancel: cancelled. */
    on_failure: FailurePolicySchema.default("block"),
  })
  .superRefine((v, ctx) => {
    // Every string, in the subtasks' payloads and in fields this schema does not name too: the
    // plan is stored as one JSON document that PostgreSQL parses (see unstorablePath).
    const path = unstorablePath(v);
    if (path) ctx.addIssue({ code: "custom", path, message: TEXT_RULE, input: v });
  });
export type PlanData = z.output<typeof PlanDataSchema>;
export type PlanDataInput = z.input<typeof PlanDataSchema>;

export const ExecutionPlanSchema = z.object({
  id: z.string(),
  planningTaskId: z.string(),
  planData: PlanDataSchema,
  estimatedDuration: z.number().nullable(),
  estimatedComplexity: z.string().nullable(),
  generatedWorkflow: JsonObjectSchema.nullable(),
  subtaskCount: z.number().int(),
  dependencyCount: z.number().int(),
  generatedAt: TimestampSchema,
  status: PlanStatusSchema,
});
export type ExecutionPlan = z.infer<typeof ExecutionPlanSchema>;

export const PlanExecutionSchema = z.object({
  id: z.string(),
  planId: z.string(),
  currentPhase: z.string().nullable(),
  progressPercent: z.number().min(0).max(100),
  totalSubtasks: z.number().int(),
  /** Subtask ids, derived from the tasks table at read time (never stale). */
  activeSubtasks: z.array(z.string()),
  completedSubtasks: z.array(z.string()),
  failedSubtasks: z.array(z.string()),
  blockedSubtasks: z.array(z.string()),
  executionNotes: z.string().nullable(),
  startedAt: TimestampSchema.nullable(),
  updatedAt: TimestampSchema,
  completedAt: TimestampSchema.nullable(),
});
export type PlanExecution = z.infer<typeof PlanExecutionSchema>;

/**
 * A plan's estimated duration, stored rounded in a 32-bit integer column: above its range
 * PostgreSQL refused the row with the driver's raw "out of range for type integer" (SQLite
 * stored it), so it is a ValidationError on both backends.
 */
export const PlanEstimatedDurationSchema = z
  .number()
  .nonnegative()
  .max(2_147_483_647, "must be at most 2147483647");

export const CreateExecutionPlanInputSchema = z.strictObject({
  planningTaskId: IdSchema,
  planData: PlanDataSchema,
  estimatedDuration: PlanEstimatedDurationSchema.nullish(),
  estimatedComplexity: text().max(50).nullish(),
  generatedWorkflow: JsonObjectSchema.nullish(),
  status: z.enum(["draft", "approved"]).default("draft"),
  id: IdSchema.optional(),
});
export type CreateExecutionPlanInput = z.input<typeof CreateExecutionPlanInputSchema>;

export interface PlanGraphIssue {
  code: "duplicate_id" | "unknown_dependency" | "self_dependency" | "cycle";
  message: string;
  /** The subtask ids involved; for a cycle, in order with the first repeated at the end. */
  ids: string[];
}

/**
 * Checks the graph of a schema-valid plan: unique ids, every dependency exists, no self-edge,
 * no cycle. Returns every issue found (empty when the plan is a DAG). Linear in nodes + edges.
 */
export function checkPlanGraph(plan: Pick<PlanData, "sub_tasks">): PlanGraphIssue[] {
  const issues: PlanGraphIssue[] = [];
  const byId = new Map<string, SubTask>();
  for (const st of plan.sub_tasks) {
    if (byId.has(st.id))
      issues.push({ code: "duplicate_id", message: `subtask id "${st.id}" is used twice`, ids: [st.id] });
    else byId.set(st.id, st);
  }
  for (const st of plan.sub_tasks) {
    const seen = new Set<string>();
    for (const dep of st.dependencies) {
      if (dep === st.id)
        issues.push({
          code: "self_dependency",
          message: `subtask "${st.id}" depends on itself`,
          ids: [st.id],
        });
      else if (!byId.has(dep))
        issues.push({
          code: "unknown_dependency",
          message: `subtask "${st.id}" depends on "${dep}", which is not in the plan`,
          ids: [st.id, dep],
        });
      if (seen.has(dep))
        issues.push({
          code: "duplicate_id",
          message: `subtask "${st.id}" lists dependency "${dep}" twice`,
          ids: [st.id, dep],
        });
      seen.add(dep);
    }
  }
  if (issues.length > 0) return issues;
  const cycle = findCycle(byId);
  if (cycle) issues.push({ code: "cycle", message: `dependency cycle: ${cycle.join(" -> ")}`, ids: cycle });
  return issues;
}

/** Iterative DFS (no recursion limit on 100k-node chains); returns one cycle, or null. */
function findCycle(byId: Map<string, SubTask>): string[] | null {
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  for (const start of byId.keys()) {
    if (state.has(start)) continue;
    const stack: { id: string; next: number }[] = [{ id: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = byId.get(frame.id)!.dependencies;
      if (frame.next >= deps.length) {
        state.set(frame.id, 2);
        stack.pop();
        continue;
      }
      const dep = deps[frame.next++]!;
      const s = state.get(dep);
      if (s === 1) {
        const from = stack.findIndex((f) => f.id === dep);
        return [...stack.slice(from).map((f) => f.id), dep];
      }
      if (s === undefined) {
        state.set(dep, 1);
        stack.push({ id: dep, next: 0 });
      }
    }
  }
  return null;
}
