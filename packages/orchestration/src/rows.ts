import {
  type ExecutionPlan,
  ExecutionPlanSchema,
  type PlanningRequest,
  PlanningRequestSchema,
  type Run,
  RunSchema,
  type Task,
  type TaskStatus,
  TaskStatusSchema,
  type Worker,
  WorkerSchema,
} from "@hive/models";
import type { z } from "zod";
import { HiveError } from "./errors.ts";

/** Raw rows as SQL returns them (snake_case, JSON as text, booleans as 0/1). */
export interface TaskRowRaw {
  id: string;
  title: string;
  description: string | null;
  task_type: string;
  priority: number;
  status: string;
  current_phase: string;
  workflow: string | null;
  payload: string | null;
  created_at: number;
  updated_at: number;
  assigned_worker: string | null;
  due_date: number | null;
  max_retries: number;
  tags: string;
  required_skills: string;
  attempts: number;
  lease_token: number;
  lease_expires_at: number | null;
  run_at: number;
  idempotency_key: string | null;
  plan_id: string | null;
  subtask_id: string | null;
  pending_deps: number;
  cancel_requested: number;
  result: string | null;
  last_error: string | null;
  completed_at: number | null;
}

/** JSON text → value; null stays null. */
export function fromJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** value → JSON text; null/undefined → null. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Validates a row read back from the database: a stored row that does not fit is a bug or tampering. */
function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new HiveError(`stored ${what} is malformed: ${r.error.message}`, { cause: r.error });
  return r.data;
}

/** PostgreSQL returns BIGINT as string; SQLite as number. */
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

const TASK_STATUSES: ReadonlySet<string> = new Set(TaskStatusSchema.options);

/** Parses a JSON column of a stored task; text that is not JSON is a typed error, not a SyntaxError. */
function storedJson(text: string, column: string, id: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HiveError(`stored task "${id}" is malformed: ${column} is not valid JSON`, { cause: err });
  }
}

/**
 * Maps a task row to a Task without re-validating it: every task row is written by this library
 * from validated input, and a full zod parse per row dominated the CPU of reads and claims.
 * Kept: numbers coerced (PostgreSQL may return BIGINT as text), JSON columns parsed with a typed
 * error for text that is not JSON, and an unknown status refused.
 */
export function taskFromRow(r: TaskRowRaw): Task {
  if (!TASK_STATUSES.has(r.status))
    throw new HiveError(`stored task "${r.id}" is malformed: unknown status "${r.status}"`);
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    taskType: r.task_type,
    priority: num(r.priority),
    status: r.status as TaskStatus,
    currentPhase: r.current_phase,
    workflow: r.workflow === null ? null : (storedJson(r.workflow, "workflow", r.id) as Task["workflow"]),
    payload: r.payload === null ? null : (storedJson(r.payload, "payload", r.id) as Task["payload"]),
    // Most tasks have no tags or skills: no JSON.parse for "[]".
    tags: r.tags === "[]" || r.tags === null ? [] : (storedJson(r.tags, "tags", r.id) as string[]),
    requiredSkills:
      r.required_skills === "[]" || r.required_skills === null
        ? []
        : (storedJson(r.required_skills, "required_skills", r.id) as string[]),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    assignedWorker: r.assigned_worker,
    dueDate: numOrNull(r.due_date),
    maxRetries: num(r.max_retries),
    attempts: num(r.attempts),
    leaseToken: num(r.lease_token),
    leaseExpiresAt: numOrNull(r.lease_expires_at),
    runAt: num(r.run_at),
    idempotencyKey: r.idempotency_key,
    planId: r.plan_id,
    subtaskId: r.subtask_id,
    pendingDependencies: num(r.pending_deps),
    cancelRequested: num(r.cancel_requested) !== 0,
    result: r.result === null ? null : (storedJson(r.result, "result", r.id) as Task["result"]),
    lastError: r.last_error,
    completedAt: numOrNull(r.completed_at),
  };
}

export interface RunRowRaw {
  id: string;
  task_id: string;
  worker_id: string | null;
  run_number: number;
  status: string;
  phase: string | null;
  started_at: number;
  completed_at: number | null;
  result_data: string | null;
  error_message: string | null;
  output_log: string | null;
  transcript: string | null;
}

export function runFromRow(r: RunRowRaw): Run {
  return checked(
    RunSchema,
    {
      id: r.id,
      taskId: r.task_id,
      workerId: r.worker_id,
      runNumber: num(r.run_number),
      status: r.status,
      phase: r.phase,
      startedAt: num(r.started_at),
      completedAt: numOrNull(r.completed_at),
      resultData: fromJson(r.result_data),
      errorMessage: r.error_message,
      outputLog: r.output_log,
      transcript: r.transcript,
    },
    "run",
  );
}

export interface WorkerRowRaw {
  id: string;
  role: string;
  status: string;
  last_heartbeat: number;
  capabilities: string;
  current_task_id: string | null;
  metadata: string | null;
  registered_at: number;
}

export function workerFromRow(r: WorkerRowRaw): Worker {
  return checked(
    WorkerSchema,
    {
      id: r.id,
      role: r.role,
      status: r.status,
      lastHeartbeat: num(r.last_heartbeat),
      capabilities: fromJson(r.capabilities) ?? [],
      currentTaskId: r.current_task_id,
      metadata: fromJson(r.metadata),
      registeredAt: num(r.registered_at),
    },
    "worker",
  );
}

export interface PlanningRowRaw {
  id: string;
  task_description: string;
  priority: number;
  requestor: string | null;
  context_data: string | null;
  status: string;
  complexity_estimate: string | null;
  created_at: number;
  assigned_at: number | null;
  completed_at: number | null;
  assigned_agent: string | null;
  error_message: string | null;
  attempts: number;
}

export function planningFromRow(r: PlanningRowRaw): PlanningRequest {
  return checked(
    PlanningRequestSchema,
    {
      id: r.id,
      taskDescription: r.task_description,
      priority: num(r.priority),
      requestor: r.requestor,
      contextData: fromJson(r.context_data),
      status: r.status,
      complexityEstimate: r.complexity_estimate,
      createdAt: num(r.created_at),
      assignedAt: numOrNull(r.assigned_at),
      completedAt: numOrNull(r.completed_at),
      assignedAgent: r.assigned_agent,
      errorMessage: r.error_message,
      attempts: num(r.attempts),
    },
    "planning request",
  );
}

export interface PlanRowRaw {
  id: string;
  planning_task_id: string;
  plan_data: string;
  estimated_duration: number | null;
  estimated_complexity: string | null;
  generated_workflow: string | null;
  subtask_count: number;
  dependency_count: number;
  generated_at: number;
  status: string;
  version: number;
}

export function planFromRow(r: PlanRowRaw): ExecutionPlan {
  return checked(
    ExecutionPlanSchema,
    {
      id: r.id,
      planningTaskId: r.planning_task_id,
      planData: fromJson(r.plan_data),
      estimatedDuration: numOrNull(r.estimated_duration),
      estimatedComplexity: r.estimated_complexity,
      generatedWorkflow: fromJson(r.generated_workflow),
      subtaskCount: num(r.subtask_count),
      dependencyCount: num(r.dependency_count),
      generatedAt: num(r.generated_at),
      status: r.status,
    },
    "execution plan",
  );
}
