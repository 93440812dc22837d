import {
  type CreateTaskInput,
  CreateTaskInputSchema,
  type HiveEvent,
  KeyArgSchema,
  type ListTasksInput,
  ListTasksInputSchema,
  MAX_DELAY_MS,
  parseCreateTaskFast,
  parseCreateTasksFast,
  type Task,
  type TaskStatus,
  TaskStatusSchema,
  type UpdateTaskStatusInput,
  UpdateTaskStatusInputSchema,
} from "@hive/models";
import { z } from "zod";
import { clearCurrentTasks } from "./claims.ts";
import { newId, now } from "./clock.ts";
import {
  blockDescendants,
  DEAD_STATUSES,
  PLAN_GATE_SQL,
  reblockDependents,
  releaseDependents,
  unblockDescendants,
} from "./dependencies.ts";
import {
  DependencyNotFoundError,
  IdempotencyConflictError,
  InvalidTransitionError,
  TaskNotFoundError,
  ValidationError,
} from "./errors.ts";
import { type Db, isTransaction, type TxState } from "./handle.ts";
import { applyPlanTransitions } from "./progress.ts";
import { lockTaskRow, type TaskRowRaw, taskFromRow } from "./rows.ts";
import { LATEST_RUN_NUMBER } from "./runs.ts";
import { chunk, placeholders, type SqlExecutor } from "./sql.ts";
import {
  contentDiff,
  insertTask,
  insertTaskAlone,
  insertTasks,
  newTask,
  type ParsedCreate,
} from "./taskInsert.ts";
import { withRead, withTx, writeAlone } from "./tx.ts";
import { parseInput } from "./validate.ts";

async function insertEdges(tx: TxState, id: string, deps: readonly string[]): Promise<void> {
  for (const dep of deps)
    await tx.ex.run("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?)", [id, dep]);
}

/**
 * Marks dependencies as having dependents and returns the status of each one found. Each one's
 * dependents_version is bumped once per transaction (a dependency this transaction already
 * bumped, and so holds locked, is only read; thousands of tasks created on one dependency in one
 * batch would otherwise leave as many versions of its row on PostgreSQL).
 *
 * On PostgreSQL the UPDATE waits for an outcome being written by a transaction still open and
 * reads it once committed; and an outcome written while this is uncommitted waits for this
 * commit, then sees a version its snapshot did not have and releases in a statement of its own,
 * one that sees this edge (see claims.ts). Without both, the task could be created blocked on a
 * dependency that completed meanwhile, and wait forever. SQLite's writers are serialized.
 */
async function markDependencies(tx: TxState, deps: readonly string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const fresh = deps.filter((d) => !tx.bumped.has(d));
  // Bumped before: read. A row found at version 0 is a task deleted and created again under the
  // same id since: bumped again.
  for (const part of chunk(deps.filter((d) => tx.bumped.has(d))))
    for (const r of await tx.ex.all<{ id: string; status: string; v: number }>(
      `SELECT id, status, dependents_version AS v FROM tasks WHERE id IN ${placeholders(part.length)}`,
      part,
    ))
      if (Number(r.v) === 0) fresh.push(r.id);
      else found.set(r.id, r.status);
  for (const part of chunk(fresh))
    for (const r of await tx.ex.all<{ id: string; status: string }>(
      `UPDATE tasks SET dependents_version = dependents_version + 1 WHERE id IN ${placeholders(part.length)}
       RETURNING id, status`,
      part,
    )) {
      found.set(r.id, r.status);
      tx.bumped.add(r.id);
    }
  return found;
}

/**
 * Needs the careful path: an idempotency key (may return an existing task), dependencies (must
 * exist; set the status), or a caller-given id (may exist already). Every other new task is
 * queued with a fresh random id that nothing can refer to yet, so it needs no lookup at all.
 */
const needsLookup = (t: ParsedCreate): boolean =>
  t.idempotencyKey !== undefined || t.dependsOn.length > 0 || t.id !== undefined;

async function createOne(tx: TxState, t: ParsedCreate): Promise<Task> {
  if (t.idempotencyKey) {
    const existing = await tx.ex.get<TaskRowRaw>("SELECT * FROM tasks WHERE idempotency_key = ?", [
      t.idempotencyKey,
    ]);
    if (existing) {
      // The key names one request: the same content gets its task back, other content is a
      // caller's bug (a reused key) that returning the first task would hide.
      const task = taskFromRow(existing);
      const deps = await tx.ex.all<{ id: string }>(
        "SELECT depends_on_id AS id FROM task_dependencies WHERE task_id = ?",
        [task.id],
      );
      const diff = contentDiff(
        task,
        deps.map((d) => d.id),
        t,
      );
      if (diff.length > 0) throw new IdempotencyConflictError(t.idempotencyKey, task.id, diff);
      return task;
    }
  }
  const deps = [...new Set(t.dependsOn)];
  if (t.id !== undefined && deps.includes(t.id)) {
    const message = `names the task itself (${t.id}): a task cannot wait for its own completion`;
    throw new ValidationError(`invalid createTask input: dependsOn: ${message}`, [
      { path: "dependsOn", message },
    ]);
  }
  const found = await markDependencies(tx, deps);
  const missing = deps.filter((d) => !found.has(d));
  if (missing.length > 0) throw new DependencyNotFoundError(missing);
  const statuses = [...found.values()];
  const pending = statuses.filter((s) => s !== "completed").length;
  const dead = [...found].find(([, s]) => (DEAD_STATUSES as readonly string[]).includes(s));
  const status: TaskStatus = dead ? "upstream_failed" : pending > 0 ? "blocked" : "queued";
  const id = t.id ?? newId();
  if (t.id !== undefined) {
    const exists = await tx.ex.get("SELECT 1 AS x FROM tasks WHERE id = ?", [id]);
    if (exists)
      throw new InvalidTransitionError(
        "task",
        id,
        "existing",
        "created",
        "a task with this id already exists",
      );
    // "<planId>:<subtaskId>" is where a plan's tasks live: a plain task there would take the id
    // of one of that plan's tasks (refused then, at the plan's expense) or sit among them.
    const colon = id.indexOf(":");
    const plan =
      colon > 0 && (await tx.ex.get("SELECT 1 AS x FROM execution_plans WHERE id = ?", [id.slice(0, colon)]));
    if (plan) {
      const message = `"${id}" is reserved: ids "${id.slice(0, colon)}:…" name the tasks of plan ${id.slice(0, colon)}`;
      throw new ValidationError(`invalid createTask input: id: ${message}`, [{ path: "id", message }]);
    }
  }
  const task = newTask({ ...t, dependsOn: deps }, { id, status, pendingDeps: pending, ts: now() });
  await insertTask(tx, task);
  if (dead) {
    // The same "upstream:" mark as blockDescendants writes: requeueing the dead dependency revives it.
    task.lastError = `upstream: dependency ${dead[0]} is ${dead[1]}`;
    await tx.ex.run("UPDATE tasks SET last_error = ? WHERE id = ?", [task.lastError, id]);
  }
  await insertEdges(tx, id, deps);
  tx.events.push(createdEvent(task));
  return task;
}

/** A new task that needed no lookup (see needsLookup): queued, nothing to wait for. */
const plainTask = (t: ParsedCreate, ts: number): Task =>
  newTask(t, { id: newId(), status: "queued", pendingDeps: 0, ts });

const createdEvent = (task: Task): HiveEvent => ({
  type: "task.created",
  taskId: task.id,
  taskType: task.taskType,
  planId: null,
});

/**
 * Creates the tasks in order. Runs of tasks that need no lookup are written set-based, each run
 * before the next careful one, so every task sees the database as if all were created one by one.
 */
async function createMany(tx: TxState, parsed: readonly ParsedCreate[]): Promise<Task[]> {
  const out: Task[] = new Array(parsed.length);
  let from = 0; // first task of the current run of plain tasks
  const flush = async (to: number) => {
    if (to === from) return;
    const ts = now();
    const tasks: Task[] = new Array(to - from);
    for (let i = from; i < to; i++) out[i] = tasks[i - from] = plainTask(parsed[i]!, ts);
    await insertTasks(tx, tasks);
    for (const task of tasks) tx.events.push(createdEvent(task));
  };
  for (let i = 0; i < parsed.length; i++) {
    const t = parsed[i]!;
    if (!needsLookup(t)) continue;
    await flush(i);
    out[i] = await createOne(tx, t);
    from = i + 1;
  }
  await flush(parsed.length);
  return out;
}

/**
 * Creates a task. With `dependsOn` it waits (blocked) until those complete; with `runAt` or
 * `delayMs` it is not claimable before then; with `idempotencyKey`, a second call with the same
 * key and the same content returns the first task and creates nothing, and one with other
 * content throws IdempotencyConflictError (naming the fields) and writes nothing. Content is
 * what the caller says the task is, defaults applied: title, taskType, description, priority,
 * workflow, payload, tags, requiredSkills, maxRetries, dueDate, dependsOn, and id when given
 * (JSON by value, lists as sets); not what the lifecycle changes since (status, attempts,
 * currentPhase, run_at, result…), nor runAt/delayMs (see contentDiff).
 */
export async function createTask(db: Db, input: CreateTaskInput): Promise<Task> {
  const t = parseCreateTaskFast(input) ?? parseInput(CreateTaskInputSchema, input, "createTask input");
  if (!needsLookup(t) && !isTransaction(db)) {
    // A plain task is one INSERT committed on its own (PostgreSQL: one round trip, not three).
    const task = plainTask(t, now());
    const { sql, params } = insertTaskAlone(task);
    await writeAlone(db, sql, params, [createdEvent(task)]);
    return task;
  }
  return withTx(db, async (tx) => (await createMany(tx, [t]))[0]!);
}

const MAX_CREATE_BATCH = 100_000;
const CreateTasksInputSchema = z.array(CreateTaskInputSchema).max(MAX_CREATE_BATCH);

/**
 * Creates many tasks in one transaction (all or none), in order; later items may depend on
 * earlier ones (by caller-given id). Tasks without dependencies, idempotency key or caller-given
 * id are written set-based (one statement per chunk). Idempotency keys work as in createTask,
 * earlier items of the batch included: a later item with an earlier one's key gets that task
 * back, or, with other content, IdempotencyConflictError rejects the whole batch.
 */
export async function createTasks(db: Db, inputs: readonly CreateTaskInput[]): Promise<Task[]> {
  const parsed =
    parseCreateTasksFast(inputs, MAX_CREATE_BATCH) ??
    parseInput(CreateTasksInputSchema, inputs, "createTasks input");
  return withTx(db, (tx) => createMany(tx, parsed));
}

const IdArg = KeyArgSchema;

/** The task, or null when there is none with this id. */
export async function getTask(db: Db, taskId: string): Promise<Task | null> {
  const id = parseInput(IdArg, taskId, "task id");
  return withRead(db, async (ex) => {
    const row = await ex.get<TaskRowRaw>("SELECT * FROM tasks WHERE id = ?", [id]);
    return row ? taskFromRow(row) : null;
  });
}

/** Tasks in a status, highest priority first, then oldest. */
export async function getTasksByStatus(db: Db, status: TaskStatus, limit = 10_000): Promise<Task[]> {
  const s = parseInput(TaskStatusSchema, status, "status");
  const n = parseInput(z.number().int().min(1), limit, "limit");
  return withRead(db, async (ex) =>
    (
      await ex.all<TaskRowRaw>(
        "SELECT * FROM tasks WHERE status = ? ORDER BY priority DESC NULLS LAST, created_at ASC, id ASC LIMIT ?",
        [s, n],
      )
    ).map(taskFromRow),
  );
}

/** Queued tasks (claimable or delayed) in claim order, optionally of one task type. */
export async function getQueuedTasks(db: Db, limit = 10, taskType?: string): Promise<Task[]> {
  const n = parseInput(z.number().int().min(1).max(100_000), limit, "limit");
  const type = parseInput(KeyArgSchema.optional(), taskType, "task type");
  return withRead(db, async (ex) =>
    (type === undefined
      ? await ex.all<TaskRowRaw>(
          "SELECT * FROM tasks WHERE status = 'queued' ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT ?",
          [n],
        )
      : await ex.all<TaskRowRaw>(
          "SELECT * FROM tasks WHERE status = 'queued' AND task_type = ? ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT ?",
          [type, n],
        )
    ).map(taskFromRow),
  );
}

/** Tasks filtered by status, type and plan, newest first (ids break ties: those one process made in one ms are in order). */
export async function listTasks(db: Db, input: ListTasksInput = {}): Promise<Task[]> {
  const q = parseInput(ListTasksInputSchema, input, "listTasks input");
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (q.status) {
    where.push("status = ?");
    params.push(q.status);
  }
  if (q.taskType) {
    where.push("task_type = ?");
    params.push(q.taskType);
  }
  if (q.planId) {
    where.push("plan_id = ?");
    params.push(q.planId);
  }
  const sql = `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`;
  return withRead(db, async (ex) =>
    (await ex.all<TaskRowRaw>(sql, [...params, q.limit, q.offset])).map(taskFromRow),
  );
}

/** Counts of tasks per status. */
export async function countTasksByStatus(db: Db): Promise<Record<TaskStatus, number>> {
  return withRead(db, async (ex) => {
    const out = Object.fromEntries(TaskStatusSchema.options.map((s) => [s, 0])) as Record<TaskStatus, number>;
    for (const r of await ex.all<{ status: TaskStatus; n: number }>(
      "SELECT status, count(*) AS n FROM tasks GROUP BY status",
    ))
      out[r.status] = Number(r.n);
    return out;
  });
}

/** Ids of the tasks this task depends on. */
export async function getTaskDependencies(db: Db, taskId: string): Promise<string[]> {
  const id = parseInput(IdArg, taskId, "task id");
  return withRead(db, async (ex) =>
    (
      await ex.all<{ id: string }>("SELECT depends_on_id AS id FROM task_dependencies WHERE task_id = ?", [
        id,
      ])
    ).map((r) => r.id),
  );
}

async function loadForUpdate(ex: SqlExecutor, id: string): Promise<TaskRowRaw> {
  const row = await lockTaskRow(ex, id);
  if (!row) throw new TaskNotFoundError(id);
  return row;
}

/** @internal Cancels inside a transaction; returns the new row. */
async function cancelIn(tx: TxState, row: TaskRowRaw, reason: string): Promise<TaskRowRaw> {
  const ts = now();
  const updated = await tx.ex.get<TaskRowRaw>(
    `UPDATE tasks SET status = 'cancelled', cancel_requested = CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END,
       last_error = ?, updated_at = ?, lease_expires_at = NULL WHERE id = ? AND status = ? RETURNING *`,
    [reason, ts, row.id, row.status],
  );
  if (row.status === "in_progress") {
    await tx.ex.run(
      `UPDATE runs SET status = 'cancelled', completed_at = ?, error_message = ? WHERE task_id = ? AND run_number = ${LATEST_RUN_NUMBER} AND status = 'running'`,
      [ts, reason, row.id, row.id],
    );
    // Its worker runs it no more (it learns at its next heartbeat): not its current task.
    await clearCurrentTasks(tx, [row.id]);
  }
  tx.events.push({ type: "task.cancelled", taskId: row.id, planId: row.plan_id });
  await applyPlanTransitions(tx, [
    { planId: row.plan_id, from: row.status, to: "cancelled", taskId: row.id },
  ]);
  await blockDescendants(tx, row.id, `dependency ${row.id} was cancelled`);
  return updated!;
}

const CancelArgsSchema = z.strictObject({
  /** Kept as the task's last_error: a string, not an options object. */
  reason: KeyArgSchema.max(100_000, "must be at most 100000 characters"),
});

/**
 * Cancels a task. A blocked or queued task is cancelled at once; a running one too, and its
 * worker learns at its next heartbeat (its later complete/fail gets LeaseLostError). Tasks
 * downstream become upstream_failed (or cancelled, by plan policy). Terminal tasks: InvalidTransitionError.
 */
export async function cancelTask(db: Db, taskId: string, reason = "cancelled by request"): Promise<Task> {
  const id = parseInput(IdArg, taskId, "task id");
  // A reason that is not a string (`{ reason }` as for requeueTask's options) reached the driver
  // as a bound parameter and failed there ("Too few parameter values"); refused here by name.
  parseInput(CancelArgsSchema, { reason }, "cancelTask arguments");
  return withTx(db, async (tx) => {
    const row = await loadForUpdate(tx.ex, id);
    if (!["blocked", "queued", "in_progress"].includes(row.status))
      throw new InvalidTransitionError(
        "task",
        id,
        row.status,
        "cancelled",
        "only blocked, queued or running tasks can be cancelled",
      );
    return taskFromRow(await cancelIn(tx, row, reason));
  });
}

const RequeueSchema = z.strictObject({
  resetAttempts: z.boolean().default(true),
  /** Bounded like createTask's delayMs: now + an unbounded delay passed MAX_SAFE_INTEGER. */
  delayMs: z.number().int().min(0).max(MAX_DELAY_MS).default(0),
});

/**
 * Operator action: puts a finished task (failed, cancelled, upstream_failed, completed) back in
 * the queue, with fresh attempts by default. Descendants that failed because of it are revived.
 */
export async function requeueTask(
  db: Db,
  taskId: string,
  options: z.input<typeof RequeueSchema> = {},
): Promise<Task> {
  const id = parseInput(IdArg, taskId, "task id");
  const o = parseInput(RequeueSchema, options, "requeue options");
  return withTx(db, async (tx) => {
    const row = await loadForUpdate(tx.ex, id);
    if (!["failed", "cancelled", "upstream_failed", "completed"].includes(row.status))
      throw new InvalidTransitionError(
        "task",
        id,
        row.status,
        "queued",
        "only finished tasks can be requeued",
      );
    // A cancelled plan stays stopped: its requeued task would run, and its completion would
    // turn the cancelled plan into a completed one.
    if (row.plan_id) {
      const plan = await tx.ex.get<{ status: string }>("SELECT status FROM execution_plans WHERE id = ?", [
        row.plan_id,
      ]);
      if (plan?.status === "cancelled")
        throw new InvalidTransitionError(
          "task",
          id,
          row.status,
          "queued",
          `its plan ${row.plan_id} was cancelled`,
        );
    }
    const deps = await tx.ex.all<{ id: string; status: string }>(
      `SELECT t.id, t.status FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
       WHERE d.task_id = ?`,
      [id],
    );
    const dead = deps.find((d) => (DEAD_STATUSES as readonly string[]).includes(d.status));
    if (dead)
      throw new InvalidTransitionError(
        "task",
        id,
        row.status,
        "queued",
        `its dependency ${dead.id} is ${dead.status}: requeue that one first (its dependents follow)`,
      );
    const gate = await tx.ex.get<{ gate: number }>(
      `SELECT ${PLAN_GATE_SQL} AS gate FROM tasks t WHERE t.id = ?`,
      [id],
    );
    const n = deps.filter((d) => d.status !== "completed").length + Number(gate?.gate ?? 0);
    const to = n > 0 ? "blocked" : "queued";
    const ts = now();
    const updated = await tx.ex.get<TaskRowRaw>(
      `UPDATE tasks SET status = ?, pending_deps = ?, attempts = CASE WHEN ? = 1 THEN 0 ELSE attempts END,
         run_at = ?, cancel_requested = 0, last_error = NULL, completed_at = NULL, assigned_worker = NULL,
         updated_at = ? WHERE id = ? RETURNING *`,
      [to, n, o.resetAttempts ? 1 : 0, ts + o.delayMs, ts, id],
    );
    await applyPlanTransitions(tx, [{ planId: row.plan_id, from: row.status, to, taskId: id }]);
    if (row.status === "completed") await reblockDependents(tx, id);
    else await unblockDescendants(tx, id);
    if (to === "queued") tx.events.push({ type: "task.queued", taskId: id });
    return taskFromRow(updated!);
  });
}

/**
 * The seed's update_task_status, made safe: allowed are cancelling an unfinished task, requeueing
 * a finished one, and (same status) updating metadata (currentPhase, assignedWorker). Completing
 * or failing a running task needs its lease token: use completeTask / failTask.
 */
export async function updateTaskStatus(db: Db, input: UpdateTaskStatusInput): Promise<Task> {
  const q = parseInput(UpdateTaskStatusInputSchema, input, "updateTaskStatus input");
  return withTx(db, async (tx) => {
    const row = await loadForUpdate(tx.ex, q.taskId);
    if (q.status !== row.status) {
      if (q.status === "cancelled" && ["blocked", "queued", "in_progress"].includes(row.status))
        await cancelIn(tx, row, "cancelled by updateTaskStatus");
      else if (
        q.status === "queued" &&
        ["failed", "cancelled", "upstream_failed", "completed"].includes(row.status)
      )
        await requeueTask({ kind: tx.root.kind, events: tx.root.events, _tx: tx }, q.taskId);
      else
        throw new InvalidTransitionError(
          "task",
          q.taskId,
          row.status,
          q.status,
          row.status === "in_progress"
            ? "a running task is finished by its worker with completeTask/failTask and its lease token"
            : undefined,
        );
    }
    const m = q.metadata;
    if (m && (m.currentPhase !== undefined || m.assignedWorker !== undefined))
      await tx.ex.run(
        `UPDATE tasks SET current_phase = COALESCE(?, current_phase),
           assigned_worker = CASE WHEN ? = 1 THEN ? ELSE assigned_worker END, updated_at = ? WHERE id = ?`,
        [
          m.currentPhase ?? null,
          m.assignedWorker !== undefined ? 1 : 0,
          m.assignedWorker ?? null,
          now(),
          q.taskId,
        ],
      );
    return taskFromRow((await tx.ex.get<TaskRowRaw>("SELECT * FROM tasks WHERE id = ?", [q.taskId]))!);
  });
}

/**
 * Deletes a task and (by cascade) its runs and edges. Dependents that waited only on it are
 * released. Refused for a running task (cancel it first): its worker would lose its work silently.
 * Returns false when there was no such task.
 */
export async function deleteTask(db: Db, taskId: string): Promise<boolean> {
  const id = parseInput(IdArg, taskId, "task id");
  return withTx(db, async (tx) => {
    const row = await lockTaskRow(tx.ex, id);
    if (!row) return false;
    if (row.status === "in_progress")
      throw new InvalidTransitionError("task", id, row.status, "deleted", "cancel the running task first");
    if (row.status !== "completed") await releaseDependents(tx, id);
    await tx.ex.run("UPDATE workers SET current_task_id = NULL WHERE current_task_id = ?", [id]);
    await tx.ex.run("DELETE FROM tasks WHERE id = ?", [id]);
    // "deleted" (progress.ts DELETED): the task leaves its counter and the plan's total, and the
    // plan is settled on what remains. Recorded as → queued it was skipped for a queued task
    // (from = to), and deleting a plan's last unfinished task left the plan executing for ever.
    if (row.plan_id)
      await applyPlanTransitions(tx, [{ planId: row.plan_id, from: row.status, to: "deleted", taskId: id }]);
    return true;
  });
}
