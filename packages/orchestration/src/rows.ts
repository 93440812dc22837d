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
import type { SqlExecutor } from "./sql.ts";

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
  /** Not part of a Task: read only where a completion needs it (claims.ts). */
  dependents_version?: number;
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

/** Every column of a task row, in the order `taskFromValues` reads them. */
export const TASK_COLUMNS = [
  "id",
  "title",
  "description",
  "task_type",
  "priority",
  "status",
  "current_phase",
  "workflow",
  "payload",
  "created_at",
  "updated_at",
  "assigned_worker",
  "due_date",
  "max_retries",
  "tags",
  "required_skills",
  "attempts",
  "lease_token",
  "lease_expires_at",
  "run_at",
  "idempotency_key",
  "plan_id",
  "subtask_id",
  "pending_deps",
  "cancel_requested",
  "result",
  "last_error",
  "completed_at",
] as const satisfies readonly (keyof TaskRowRaw)[];

/** `TASK_COLUMNS` as a select list. */
export const TASK_SELECT = TASK_COLUMNS.join(", ");

/** Each column's position in TASK_COLUMNS, so the mappings of value rows cannot drift from the list. */
export const TASK_COLUMN_AT = Object.fromEntries(TASK_COLUMNS.map((c, i) => [c, i])) as {
  readonly [K in (typeof TASK_COLUMNS)[number]]: number;
};
const C = TASK_COLUMN_AT;

const text = (v: unknown): string => v as string;
const textOrNull = (v: unknown): string | null => (v ?? null) as string | null;

/** Parses a JSON column that may be null. */
function jsonOrNull<T>(v: unknown, column: string, id: string): T | null {
  return v === null || v === undefined ? null : (storedJson(v as string, column, id) as T);
}

/** A JSON list column: most tasks have no tags or skills, so no JSON.parse for "[]". */
function list(v: unknown, column: string, id: string): string[] {
  return v === "[]" || v === null || v === undefined ? [] : (storedJson(v as string, column, id) as string[]);
}

/**
 * Maps a task row, as values in TASK_COLUMNS order, to a Task without re-validating it: every
 * task row is written by this library from validated input, and a full zod parse per row
 * dominated the CPU of reads and claims. Kept: numbers coerced (PostgreSQL may return BIGINT as
 * text), JSON columns parsed with a typed error for text that is not JSON, and an unknown status
 * refused. Hot paths (claims) read rows as arrays: a driver builds an array much faster than an
 * object with 28 keys.
 */
export function taskFromValues(v: readonly unknown[]): Task {
  const id = text(v[C.id]);
  const status = text(v[C.status]);
  if (!TASK_STATUSES.has(status))
    throw new HiveError(`stored task "${id}" is malformed: unknown status "${status}"`);
  return {
    id,
    title: text(v[C.title]),
    description: textOrNull(v[C.description]),
    taskType: text(v[C.task_type]),
    priority: num(v[C.priority]),
    status: status as TaskStatus,
    currentPhase: text(v[C.current_phase]),
    workflow: jsonOrNull<Task["workflow"]>(v[C.workflow], "workflow", id),
    payload: jsonOrNull<Task["payload"]>(v[C.payload], "payload", id),
    tags: list(v[C.tags], "tags", id),
    requiredSkills: list(v[C.required_skills], "required_skills", id),
    createdAt: num(v[C.created_at]),
    updatedAt: num(v[C.updated_at]),
    assignedWorker: textOrNull(v[C.assigned_worker]),
    dueDate: numOrNull(v[C.due_date]),
    maxRetries: num(v[C.max_retries]),
    attempts: num(v[C.attempts]),
    leaseToken: num(v[C.lease_token]),
    leaseExpiresAt: numOrNull(v[C.lease_expires_at]),
    runAt: num(v[C.run_at]),
    idempotencyKey: textOrNull(v[C.idempotency_key]),
    planId: textOrNull(v[C.plan_id]),
    subtaskId: textOrNull(v[C.subtask_id]),
    pendingDependencies: num(v[C.pending_deps]),
    cancelRequested: num(v[C.cancel_requested]) !== 0,
    result: jsonOrNull<Task["result"]>(v[C.result], "result", id),
    lastError: textOrNull(v[C.last_error]),
    completedAt: numOrNull(v[C.completed_at]),
  };
}

/** Maps a task row object (`SELECT *`) to a Task; see taskFromValues. */
export function taskFromRow(r: TaskRowRaw): Task {
  return taskFromValues(TASK_COLUMNS.map((c) => r[c]));
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

/**
 * The task's row, locked until the transaction ends: on PostgreSQL (FOR UPDATE) a concurrent
 * cancel, failure, completion or requeue waits, and this transaction decides on the row as it is
 * after theirs (SQLite's write transactions are serial already). Null when there is no such task.
 */
export async function lockTaskRow(ex: SqlExecutor, id: string): Promise<TaskRowRaw | null> {
  return (
    (await ex.get<TaskRowRaw>(
      `SELECT * FROM tasks WHERE id = ?${ex.dialect === "postgres" ? " FOR UPDATE" : ""}`,
      [id],
    )) ?? null
  );
}
