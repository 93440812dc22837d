import { z } from "zod";
import {
  IdSchema,
  JsonObjectSchema,
  JsonValueSchema,
  KeyArgSchema,
  PrioritySchema,
  SkillListSchema,
  TagListSchema,
  TimestampSchema,
  text,
} from "./common.ts";

/**
 * blocked: waits for dependencies; queued: claimable once run_at is reached; in_progress: leased
 * to a worker; completed / failed / cancelled: terminal; upstream_failed: a dependency failed for good.
 */
export const TaskStatusSchema = z.enum([
  "blocked",
  "queued",
  "in_progress",
  "completed",
  "failed",
  "cancelled",
  "upstream_failed",
]);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = [
  "completed",
  "failed",
  "cancelled",
  "upstream_failed",
];

export const TaskSchema = z.object({
  id: IdSchema,
  title: z.string(),
  description: z.string().nullable(),
  taskType: z.string(),
  priority: z.number().int(),
  status: TaskStatusSchema,
  currentPhase: z.string(),
  workflow: JsonObjectSchema.nullable(),
  payload: JsonObjectSchema.nullable(),
  tags: TagListSchema,
  requiredSkills: SkillListSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  assignedWorker: z.string().nullable(),
  dueDate: TimestampSchema.nullable(),
  maxRetries: z.number().int().nonnegative(),
  /** Claims so far, reset by a requeue with fresh attempts; retries count against it. */
  attempts: z.number().int().nonnegative(),
  /** Fencing token of the current lease; grows with every claim. */
  leaseToken: z.number().int().nonnegative(),
  leaseExpiresAt: TimestampSchema.nullable(),
  /** Not claimable before this time (delayed tasks, retry backoff). */
  runAt: TimestampSchema,
  idempotencyKey: z.string().nullable(),
  planId: z.string().nullable(),
  subtaskId: z.string().nullable(),
  /** Dependencies not completed yet. */
  pendingDependencies: z.number().int().nonnegative(),
  cancelRequested: z.boolean(),
  result: JsonValueSchema.nullable(),
  lastError: z.string().nullable(),
  completedAt: TimestampSchema.nullable(),
});
export type Task = z.infer<typeof TaskSchema>;

/** CreateTaskInputSchema's bounds (also read by createTaskFast.ts, which must agree with it). */
export const CREATE_TASK_LIMITS = {
  title: 500,
  taskType: 100,
  description: 100_000,
  currentPhase: 100,
  maxRetries: 100,
  delayMs: 10 * 365 * 24 * 3600 * 1000,
} as const;

export const CreateTaskInputSchema = z.strictObject({
  title: text().trim().min(1, "must not be empty").max(CREATE_TASK_LIMITS.title),
  taskType: text().trim().min(1, "must not be empty").max(CREATE_TASK_LIMITS.taskType),
  description: text().max(CREATE_TASK_LIMITS.description).nullish(),
  priority: PrioritySchema.default(1),
  currentPhase: text().min(1).max(CREATE_TASK_LIMITS.currentPhase).default("start"),
  workflow: JsonObjectSchema.nullish(),
  payload: JsonObjectSchema.nullish(),
  tags: TagListSchema.default([]),
  requiredSkills: SkillListSchema.default([]),
  maxRetries: z.number().int().min(0).max(CREATE_TASK_LIMITS.maxRetries).default(3),
  dueDate: TimestampSchema.nullish(),
  /** Absolute time before which the task is not claimable. */
  runAt: TimestampSchema.optional(),
  /** Relative delay in ms; ignored when runAt is given. */
  delayMs: z.number().int().min(0).max(CREATE_TASK_LIMITS.delayMs).optional(),
  /** Same key twice returns the first task instead of creating a second one. */
  idempotencyKey: text().min(1).max(200).optional(),
  /** Ids of tasks that must complete before this one may run. */
  dependsOn: z.array(IdSchema).max(10_000).default([]),
  /** Optional explicit id (for example from an external system). */
  id: IdSchema.optional(),
});
export type CreateTaskInput = z.input<typeof CreateTaskInputSchema>;

export const UpdateTaskStatusInputSchema = z.strictObject({
  taskId: IdSchema,
  status: TaskStatusSchema,
  metadata: z
    .strictObject({
      assignedWorker: text().nullable().optional(),
      currentPhase: text().min(1).max(100).optional(),
    })
    .optional(),
});
export type UpdateTaskStatusInput = z.input<typeof UpdateTaskStatusInputSchema>;

export const ListTasksInputSchema = z.strictObject({
  status: TaskStatusSchema.optional(),
  /**
   * Trimmed like the task type createTask stores; empty is refused: it was taken for "no filter"
   * and listed every task.
   */
  taskType: KeyArgSchema.optional(),
  planId: KeyArgSchema.optional(),
  limit: z.number().int().min(1).max(100_000).default(100),
  offset: z.number().int().min(0).default(0),
});
export type ListTasksInput = z.input<typeof ListTasksInputSchema>;

/** Most tasks one claim hands out. */
export const MAX_CLAIM_LIMIT = 1000;

export const ClaimTasksInputSchema = z.strictObject({
  workerId: IdSchema,
  /**
   * A task is handed out only if its requiredSkills are a subset of the worker's registered
   * capabilities; given here, they narrow those further (a subset of them is what counts).
   */
  capabilities: SkillListSchema.optional(),
  /**
   * Restrict to these task types (all types when absent). Trimmed, as createTask stores a task's
   * type: " build " matched no task, while getQueuedTasks and the Worker found them.
   */
  taskTypes: z.array(KeyArgSchema).min(1).max(100).optional(),
  limit: z.number().int().min(1).max(MAX_CLAIM_LIMIT).default(1),
  /** Lease length in ms (default 30 s). */
  leaseMs: z
    .number()
    .int()
    .min(100)
    .max(24 * 3600 * 1000)
    .default(30_000),
});
export type ClaimTasksInput = z.input<typeof ClaimTasksInputSchema>;

/** What a worker holds after a claim: the task and the fencing token of its lease. */
export const ClaimedTaskSchema = z.object({
  task: TaskSchema,
  token: z.number().int(),
  runId: text(),
});
export type ClaimedTask = z.infer<typeof ClaimedTaskSchema>;

export const LeaseRefSchema = z.strictObject({
  taskId: IdSchema,
  token: z.number().int().nonnegative(),
});
export type LeaseRef = z.infer<typeof LeaseRefSchema>;

export const CompleteTaskInputSchema = LeaseRefSchema.extend({
  result: JsonValueSchema.optional(),
  outputLog: text().max(10_000_000).optional(),
});
export type CompleteTaskInput = z.input<typeof CompleteTaskInputSchema>;

export const FailTaskInputSchema = LeaseRefSchema.extend({
  error: text().min(1).max(100_000),
  /** false: fail for good at once, no retry (bad input, say). */
  retryable: z.boolean().default(true),
  outputLog: text().max(10_000_000).optional(),
  result: JsonValueSchema.optional(),
});
export type FailTaskInput = z.input<typeof FailTaskInputSchema>;

/** The lease a heartbeat without leaseMs keeps at least (it never shortens a longer one). */
export const HEARTBEAT_LEASE_MS = 30_000;

export const HeartbeatTaskInputSchema = LeaseRefSchema.extend({
  /**
   * The lease from now, as given (it may shorten the lease). Absent: the later of the current
   * expiry and now + HEARTBEAT_LEASE_MS, so a claim's longer lease is not cut to 30 s.
   */
  leaseMs: z
    .number()
    .int()
    .min(100)
    .max(24 * 3600 * 1000)
    .optional(),
  phase: text().min(1, "must not be empty").max(100).optional(),
  outputLog: text().max(10_000_000).optional(),
});
export type HeartbeatTaskInput = z.input<typeof HeartbeatTaskInputSchema>;

export const HeartbeatResultSchema = z.object({
  leaseExpiresAt: TimestampSchema,
  /** The task was cancelled: the worker should abort. */
  cancelRequested: z.boolean(),
});
export type HeartbeatResult = z.infer<typeof HeartbeatResultSchema>;

/**
 * Longest delay any call may put before a task's run_at (createTask's delayMs, requeueTask's
 * delayMs, a retry policy's backoff): 10 years. Unbounded, now + delay passed
 * Number.MAX_SAFE_INTEGER and the task came back with a run_at that is no Timestamp (TaskSchema
 * refused it).
 */
export const MAX_DELAY_MS = CREATE_TASK_LIMITS.delayMs;

export const RetryPolicySchema = z.strictObject({
  /** First backoff in ms (at most MAX_DELAY_MS). */
  baseDelayMs: z.number().int().min(0).max(MAX_DELAY_MS).default(1000),
  /** Cap on the backoff (at most MAX_DELAY_MS). */
  maxDelayMs: z
    .number()
    .int()
    .min(0)
    .max(MAX_DELAY_MS)
    .default(5 * 60_000),
  /** Random share of the delay, 0..1 (full jitter at 1). */
  jitter: z.number().min(0).max(1).default(0.2),
});
export type RetryPolicy = z.input<typeof RetryPolicySchema>;

export const RequeueTaskInputSchema = z.strictObject({
  taskId: IdSchema,
  /** Reset the attempt count so the task gets its full retries again (default true). */
  resetAttempts: z.boolean().default(true),
  /** Not claimable before now + this (at most MAX_DELAY_MS). */
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
});
export type RequeueTaskInput = z.input<typeof RequeueTaskInputSchema>;
