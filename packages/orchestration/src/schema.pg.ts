/**
 * PostgreSQL schema (drizzle pg-core), mirroring schema.ts column for column: same names, same
 * meaning. Timestamps are BIGINT milliseconds since the epoch (UTC); JSON columns are TEXT holding
 * JSON, as on SQLite, so the operations' SQL and row mapping are shared. `schemaParity.test.ts`
 * keeps the two in step. Migrations: `pnpm db:generate:pg` into migrations-pg/.
 */
import { sql } from "drizzle-orm";
import {
  bigint,
  customType,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from "drizzle-orm/pg-core";

const ms = (name: string) => bigint(name, { mode: "number" });

/**
 * Text compared byte by byte (COLLATE "C"), for the keys the claim and the completion look up,
 * index and join on every task: ids and the claim index's status. Under a database's default
 * collation (C.UTF-8 here, often en_US.UTF-8) each B-tree comparison of text went through
 * strcoll: ~10 % of the server's time in a drain (perf). Measured, in-process drain of 40k
 * no-op tasks, three alternating pairs: 57.5 / 58.8 / 58.8 → 54.3 / 54.3 / 54.8 µs of server CPU
 * a task. These columns hold ids and status names, never text sorted for people.
 */
const key = customType<{ data: string }>({ dataType: () => 'text COLLATE "C"' });

export const tasksTable = pgTable(
  "tasks",
  {
    id: key("id").primaryKey(),
    title: text("title").notNull(),
    description: text("description"),
    taskType: text("task_type").notNull(),
    priority: integer("priority").notNull().default(1),
    status: key("status").notNull().default("queued"),
    currentPhase: text("current_phase").notNull().default("start"),
    workflow: text("workflow"),
    payload: text("payload"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
    assignedWorker: text("assigned_worker"),
    dueDate: ms("due_date"),
    maxRetries: integer("max_retries").notNull().default(3),
    tags: text("tags").notNull().default("[]"),
    requiredSkills: text("required_skills").notNull().default("[]"),
    attempts: integer("attempts").notNull().default(0),
    leaseToken: integer("lease_token").notNull().default(0),
    leaseExpiresAt: ms("lease_expires_at"),
    runAt: ms("run_at").notNull(),
    idempotencyKey: text("idempotency_key"),
    planId: text("plan_id").references(() => executionPlansTable.id, { onDelete: "cascade" }),
    subtaskId: text("subtask_id"),
    pendingDeps: integer("pending_deps").notNull().default(0),
    cancelRequested: integer("cancel_requested").notNull().default(0),
    // 0 while no edge names this task as its dependency; every transaction that writes one bumps
    // it. A completion releases dependents only for tasks that have them, and knows from a bump
    // it did not see at its start that an edge came while it waited (see claims.ts).
    dependentsVersion: integer("dependents_version").notNull().default(0),
    result: text("result"),
    lastError: text("last_error"),
    completedAt: ms("completed_at"),
  },
  (t) => [
    index("tasks_claim_idx").on(t.status, t.priority.desc(), t.createdAt),
    // No index on status or priority alone: status is the prefix of the claim and lease indexes,
    // and no query filters on priority alone; each index is one more B-tree written per task.
    // Partial: only tasks in progress have a lease to reap, and only plan tasks a plan id, so a
    // task outside them costs these indexes nothing when its status changes.
    index("tasks_lease_idx").on(t.leaseExpiresAt).where(sql`${t.status} = 'in_progress'`),
    index("tasks_plan_idx").on(t.planId, t.status).where(sql`${t.planId} IS NOT NULL`),
    // Partial: a plain task (no plan, no idempotency key) adds no entry to either on insert.
    uniqueIndex("tasks_plan_subtask_uq").on(t.planId, t.subtaskId).where(sql`${t.planId} IS NOT NULL`),
    uniqueIndex("tasks_idempotency_uq").on(t.idempotencyKey).where(sql`${t.idempotencyKey} IS NOT NULL`),
  ],
);

/** Edge table, as in schema.ts (no foreign keys: see there). */
export const taskDependenciesTable = pgTable(
  "task_dependencies",
  {
    taskId: key("task_id").notNull(),
    dependsOnId: key("depends_on_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.taskId, t.dependsOnId] }),
    index("task_deps_depends_on_idx").on(t.dependsOnId),
  ],
);

export const workersTable = pgTable(
  "workers",
  {
    id: key("id").primaryKey(),
    role: text("role").notNull(),
    status: text("status").notNull().default("active"),
    lastHeartbeat: ms("last_heartbeat").notNull(),
    capabilities: text("capabilities").notNull().default("[]"),
    currentTaskId: key("current_task_id").references(() => tasksTable.id, { onDelete: "set null" }),
    metadata: text("metadata"),
    registeredAt: ms("registered_at").notNull(),
  },
  (t) => [
    index("idx_workers_status").on(t.status),
    index("idx_workers_role").on(t.role),
    index("workers_heartbeat_idx").on(t.status, t.lastHeartbeat),
  ],
);

export const runsTable = pgTable(
  "runs",
  {
    id: key("id").primaryKey(),
    // No foreign keys: a constraint checks its parent row on every run inserted (on PostgreSQL
    // a row lock on the task and on the worker, a third of a claim's time). Runs are inserted
    // only by the claim, for the tasks it claims in the same statement; deletes are followed
    // by triggers (migration runs_without_foreign_keys): deleting a task deletes its
    // runs, deleting a worker sets their worker_id null, as the cascades did.
    taskId: key("task_id").notNull(),
    workerId: key("worker_id"),
    runNumber: integer("run_number").notNull(),
    status: text("status").notNull().default("running"),
    phase: text("phase"),
    startedAt: ms("started_at").notNull(),
    completedAt: ms("completed_at"),
    resultData: text("result_data"),
    errorMessage: text("error_message"),
    outputLog: text("output_log"),
    transcript: text("transcript"),
  },
  (t) => [
    uniqueIndex("runs_task_run_number_uq").on(t.taskId, t.runNumber),
    // No index on task_id alone: it is the prefix of runs_task_run_number_uq. None on worker_id:
    // nothing reads runs by worker but the trigger of a worker's deletion (rare), and each claim
    // would write an entry per run (migration runs_without_worker_index).
  ],
);

export const planningQueueTable = pgTable(
  "planning_queue",
  {
    id: text("id").primaryKey(),
    taskDescription: text("task_description").notNull(),
    priority: integer("priority").notNull().default(1),
    requestor: text("requestor"),
    contextData: text("context_data"),
    status: text("status").notNull().default("pending"),
    complexityEstimate: text("complexity_estimate"),
    createdAt: ms("created_at").notNull(),
    assignedAt: ms("assigned_at"),
    completedAt: ms("completed_at"),
    assignedAgent: text("assigned_agent"),
    errorMessage: text("error_message"),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [
    index("idx_planning_queue_status").on(t.status),
    index("planning_queue_claim_idx").on(t.status, t.priority.desc(), t.createdAt),
  ],
);

export const executionPlansTable = pgTable(
  "execution_plans",
  {
    id: text("id").primaryKey(),
    planningTaskId: text("planning_task_id")
      .notNull()
      .references(() => planningQueueTable.id),
    planData: text("plan_data").notNull(),
    estimatedDuration: integer("estimated_duration"),
    estimatedComplexity: text("estimated_complexity"),
    generatedWorkflow: text("generated_workflow"),
    subtaskCount: integer("subtask_count").notNull().default(0),
    dependencyCount: integer("dependency_count").notNull().default(0),
    generatedAt: ms("generated_at").notNull(),
    status: text("status").notNull().default("draft"),
    version: integer("version").notNull().default(0),
  },
  (t) => [
    index("idx_execution_plans_status").on(t.status),
    // Covering index for reading a plan's status by id: on SQLite the row holds plan_data
    // (megabytes for a large plan) before status, and reading status from the row walks its
    // overflow pages (75 ms at 100k nodes); read through this index it is microseconds.
    index("execution_plans_id_status_idx").on(t.id, t.status),
    index("execution_plans_request_idx").on(t.planningTaskId),
  ],
);

export const planExecutionTable = pgTable(
  "plan_execution",
  {
    id: text("id").primaryKey(),
    planId: text("plan_id").notNull(),
    currentPhase: text("current_phase"),
    progressPercent: integer("progress_percent").notNull().default(0),
    totalSubtasks: integer("total_subtasks").notNull().default(0),
    activeSubtasks: integer("active_subtasks").notNull().default(0),
    completedSubtasks: integer("completed_subtasks").notNull().default(0),
    failedSubtasks: integer("failed_subtasks").notNull().default(0),
    blockedSubtasks: integer("blocked_subtasks").notNull().default(0),
    executionNotes: text("execution_notes"),
    startedAt: ms("started_at"),
    updatedAt: ms("updated_at").notNull(),
    completedAt: ms("completed_at"),
  },
  (t) => [
    foreignKey({ columns: [t.planId], foreignColumns: [executionPlansTable.id] }).onDelete("cascade"),
    uniqueIndex("idx_plan_execution_plan_id").on(t.planId),
  ],
);
