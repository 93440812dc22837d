import {
  type ClaimedTask,
  type ClaimTasksInput,
  ClaimTasksInputSchema,
  type CompleteTaskInput,
  CompleteTaskInputSchema,
  type FailTaskInput,
  FailTaskInputSchema,
  HEARTBEAT_LEASE_MS,
  type HeartbeatResult,
  type HeartbeatTaskInput,
  HeartbeatTaskInputSchema,
  KeyArgSchema,
  type RetryPolicy,
  RetryPolicySchema,
  SkillListSchema,
  type Task,
} from "@hive/models";
import { z } from "zod";
import { backoffDelay } from "./backoff.ts";
import { newId, now } from "./clock.ts";
import { blockDescendants, releaseDependents } from "./dependencies.ts";
import { HiveError, LeaseLostError, TaskNotFoundError, WorkerNotFoundError } from "./errors.ts";
import type { Db, TxState } from "./handle.ts";
import { applyPlanTransitions, type Transition } from "./progress.ts";
import {
  lockTaskRow,
  TASK_COLUMN_AT,
  TASK_COLUMNS,
  TASK_SELECT,
  type TaskRowRaw,
  taskFromRow,
  taskFromValues,
  toJson,
} from "./rows.ts";
import { LATEST_RUN_NUMBER } from "./runs.ts";
import { jsonIds, jsonRows } from "./sql.ts";
import { withRead, withTx } from "./tx.ts";
import { parseInput } from "./validate.ts";

// SQLite: the claim picks the tasks in one statement and updates them in a second, both inside
// the transaction's write lock (BEGIN IMMEDIATE: no other writer can come between them). One
// statement text for every worker: capabilities and task types are bound as JSON arrays, so the
// prepared statement is reused. The inner SELECT walks tasks_claim_idx in ORDER BY order.
// The picked rows come back as JSON texts: an UPDATE … RETURNING of the 28 columns cost 10 µs a
// task, 5.5 of them the RETURNING (SQLite keeps RETURNING rows in a temporary table, and the
// driver converts each value on its own). The transaction reads only what it writes with (the
// rowids, as the JSON list the UPDATE binds, and five columns a task); the full rows' text is
// parsed into Tasks after COMMIT, outside the write lock that other processes wait for.
// A draining worker is handed nothing: the pick's limit is 0 for it (one lookup of the worker by
// primary key, evaluated once per claim, in both dialects).
const DRAINING_LIMIT =
  "(CASE WHEN EXISTS (SELECT 1 FROM workers wd WHERE wd.id = ? AND wd.status = 'draining') THEN 0 ELSE ? END)";
const PICK_SQLITE = `SELECT json_group_array(rid),
    json_group_array(json_array(id, lease_token, attempts, plan_id, current_phase)),
    json_group_array(json_array(${TASK_SELECT})) FROM (
    SELECT tasks.rowid AS rid, ${TASK_SELECT} FROM tasks INDEXED BY tasks_claim_idx
    WHERE status = 'queued' AND run_at <= ?
      AND (? IS NULL OR task_type IN (SELECT value FROM json_each(?)))
      AND (required_skills = '[]' OR NOT EXISTS (
        SELECT 1 FROM json_each(tasks.required_skills) s
        WHERE s.value NOT IN (SELECT value FROM json_each((SELECT capabilities FROM workers WHERE id = ?)))
          OR (? IS NOT NULL AND s.value NOT IN (SELECT value FROM json_each(?)))))
    ORDER BY priority DESC, created_at ASC LIMIT ${DRAINING_LIMIT})`;
/** What the claim writes; claimedValues mirrors it on the picked rows. */
const CLAIM_UPDATE_SQLITE = `UPDATE tasks SET status = 'in_progress', assigned_worker = ?, lease_token = lease_token + 1,
    lease_expires_at = ?, attempts = attempts + 1, updated_at = ?, cancel_requested = 0
  WHERE rowid IN (SELECT value FROM json_each(?))`;

/** A picked row (TASK_COLUMNS) as CLAIM_UPDATE_SQLITE leaves it, changed in place. */
function claimedValues(v: unknown[], workerId: string, leaseExpiresAt: number, ts: number): unknown[] {
  v[TASK_COLUMN_AT.status] = "in_progress";
  v[TASK_COLUMN_AT.assigned_worker] = workerId;
  v[TASK_COLUMN_AT.lease_token] = Number(v[TASK_COLUMN_AT.lease_token]) + 1;
  v[TASK_COLUMN_AT.lease_expires_at] = leaseExpiresAt;
  v[TASK_COLUMN_AT.attempts] = Number(v[TASK_COLUMN_AT.attempts]) + 1;
  v[TASK_COLUMN_AT.updated_at] = ts;
  v[TASK_COLUMN_AT.cancel_requested] = 0;
  return v;
}

/** The parameters of the pick's WHERE and LIMIT, in both dialects' order. */
const pickParams = (
  q: z.output<typeof ClaimTasksInputSchema>,
  types: string | null,
  caps: string | null,
  ts: number,
) => [ts, types, types, q.workerId, caps, caps, q.workerId, q.limit];

/** What the claim's transaction needs of a claimed task: its events, run row and plan transition. */
interface ClaimKey {
  id: string;
  token: number;
  attempt: number;
  planId: string | null;
  phase: string;
  runId: string;
}

/**
 * A claim as its transaction leaves it: the keys it wrote with, and the claimed tasks, built
 * when asked (after COMMIT on SQLite).
 */
interface Claim {
  keys: ClaimKey[];
  tasks: () => { tasks: ClaimedTask[]; unreadable: { key: ClaimKey; error: Error }[] };
}

const NO_CLAIM: Claim = { keys: [], tasks: () => ({ tasks: [], unreadable: [] }) };

/**
 * SQLite: PICK_SQLITE, again with half the limit while the picked rows are too big for one
 * SQLite text (SQLITE_TOOBIG past ~512 MB: its buffer doubles past SQLITE_MAX_LENGTH, 1e9), so
 * a claim over large payloads hands out what fits, down to one task, instead of failing every
 * time on the same rows. The pick only reads: a failed one leaves the transaction as it was.
 * Rare, so the usual claim pays nothing for it. `params` ends with the limit.
 */
async function pickSqlite(
  tx: TxState,
  params: (string | number | null)[],
): Promise<[string, string, string]> {
  for (;;) {
    try {
      return ((await tx.ex.values(PICK_SQLITE, params)) as [[string, string, string]])[0];
    } catch (error) {
      const limit = params[params.length - 1] as number;
      if (limit <= 1 || (error as { code?: unknown }).code !== "SQLITE_TOOBIG") throw error;
      params[params.length - 1] = Math.floor(limit / 2);
    }
  }
}

/**
 * SQLite: picks up to the limit and updates them. `types` and `caps` are the call's task types
 * and capabilities as JSON arrays (or null). The tasks are the picked rows as the update left
 * them.
 */
async function claimSqlite(
  tx: TxState,
  q: z.output<typeof ClaimTasksInputSchema>,
  types: string | null,
  caps: string | null,
  ts: number,
): Promise<Claim> {
  const [rowids, keysJson, rowsJson] = await pickSqlite(tx, pickParams(q, types, caps, ts));
  const picked = JSON.parse(keysJson) as [string, number, number, string | null, string][];
  if (picked.length === 0) return NO_CLAIM;
  const leaseExpiresAt = ts + q.leaseMs;
  const changed = await tx.ex.run(CLAIM_UPDATE_SQLITE, [q.workerId, leaseExpiresAt, ts, rowids]);
  if (changed.changes !== picked.length)
    throw new HiveError(`claim updated ${changed.changes} of the ${picked.length} tasks it picked`);
  // PICK_SQLITE's second list, read before the UPDATE: token and attempt are the old ones.
  const keys = picked.map(([id, token, attempts, planId, phase]) => ({
    id,
    token: Number(token) + 1,
    attempt: Number(attempts) + 1,
    planId,
    phase,
    runId: newId(),
  }));
  return {
    keys,
    tasks: () =>
      readClaimed(
        (JSON.parse(rowsJson) as unknown[][]).map((v) => claimedValues(v, q.workerId, leaseExpiresAt, ts)),
        keys,
      ),
  };
}

// PostgreSQL: NULLS LAST matches the index's order (DESC alone means NULLS FIRST, which the index
// cannot serve: every claim sorted the whole queue), and = ANY(ARRAY(...)) makes the outer UPDATE
// look each picked id up by primary key instead of hash-joining a scan of the whole table.
const CLAIM_POSTGRES_UPDATE = `UPDATE tasks SET status = 'in_progress', assigned_worker = ?, lease_token = lease_token + 1,
    lease_expires_at = ?, attempts = attempts + 1, updated_at = ?, cancel_requested = 0
  WHERE id = ANY(ARRAY(
    SELECT id FROM tasks
    WHERE status = 'queued' AND run_at <= ?
      AND (?::text IS NULL OR task_type IN (SELECT jsonb_array_elements_text(?::jsonb)))
      AND (required_skills = '[]' OR (required_skills::jsonb <@ (SELECT wk.capabilities::jsonb FROM workers wk WHERE wk.id = ?)
        AND (?::jsonb IS NULL OR required_skills::jsonb <@ ?::jsonb)))
    ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT ${DRAINING_LIMIT}
    FOR UPDATE SKIP LOCKED))
  RETURNING ${TASK_SELECT}`;

// PostgreSQL: the claim, its run rows and the worker's heartbeat in one statement, so a claim is
// one round trip inside BEGIN/COMMIT. Run ids are made by the server, UUID v7 like newId (the
// claim's time in ms, then the random bits of gen_random_uuid with the version nibble set to 7):
// binding one id per slot asked for cost a claim of 256 about 0.3 ms of Node time and 10 KB of
// JSON for the server to parse, however few tasks it found. The outer LEFT JOIN returns one row
// even when nothing was claimed, telling whether the worker exists. Read as value arrays: the
// task's columns in TASK_COLUMNS order, then the two below.
// The random part is made per claimed row: the LATERAL names c.id (an empty slice of it), so
// the planner cannot evaluate it once for the whole claim.
// The worker row: `k` proves it exists and keeps it so until commit (KEY SHARE blocks a delete,
// not an update); the heartbeat skips the row while another transaction of the same worker
// updates it (a worker's group commits run in parallel lanes, and that one records the
// heartbeat). With a plain UPDATE each lane's claim waited for the other's commit.
const RUN_ID_V7 = `substr(u.ms, 1, 8) || '-' || substr(u.ms, 9, 4) || '-7' || substr(u.hex, 14, 3) || '-'
      || substr(u.hex, 17, 4) || '-' || substr(u.hex, 21, 12)`;
const CLAIM_POSTGRES = `WITH c AS (${CLAIM_POSTGRES_UPDATE}),
  k AS (SELECT wk.id FROM workers wk WHERE wk.id = ? FOR KEY SHARE),
  w AS (UPDATE workers SET last_heartbeat = ?, status = CASE WHEN status = 'offline' THEN 'active' ELSE status END,
      current_task_id = COALESCE((SELECT c.id FROM c LIMIT 1), current_task_id)
    WHERE id = (SELECT wl.id FROM workers wl WHERE wl.id = (SELECT k.id FROM k) FOR NO KEY UPDATE SKIP LOCKED) RETURNING id),
  r AS (INSERT INTO runs (id, task_id, worker_id, run_number, status, phase, started_at)
    SELECT ${RUN_ID_V7}, c.id, ?,
      COALESCE((SELECT MAX(x.run_number) FROM runs x WHERE x.task_id = c.id), 0) + 1, 'running', c.current_phase, ?
    FROM c CROSS JOIN LATERAL (SELECT lpad(to_hex(?::bigint), 12, '0') AS ms,
      replace(gen_random_uuid()::text, '-', '') || left(c.id, 0) AS hex) u
    WHERE EXISTS (SELECT 1 FROM k)
    RETURNING id, task_id)
  SELECT ${TASK_COLUMNS.map((col) => `c.${col}`).join(", ")}, (SELECT count(*) FROM k), r.id
  FROM (SELECT 1) AS one LEFT JOIN (c JOIN r ON r.task_id = c.id) ON true`;
/** Where CLAIM_POSTGRES puts, after the task's columns, whether the worker exists and the run id. */
const PG_WORKER_FOUND = TASK_COLUMNS.length;
const PG_RUN_ID = TASK_COLUMNS.length + 1;

/** SQLite: one run row per claimed task, the whole claim in one statement (run number: the task's next). */
const INSERT_RUNS_SQLITE = `INSERT INTO runs (id, task_id, worker_id, run_number, status, phase, started_at)
    SELECT j.run, j.id, ?, COALESCE((SELECT MAX(r.run_number) FROM runs r WHERE r.task_id = j.id), 0) + 1,
      'running', j.phase, ?
    FROM ${jsonRows("sqlite", { run: "text", id: "text", phase: "text" })}`;

/**
 * Runs `fn` with a list for the plan transitions of what it does, then applies them: one
 * plan_execution update per plan for all the steps of a transaction (a group commit's
 * completions and its claim), not one per step.
 */
async function withPlanTransitions<T>(
  tx: TxState,
  fn: (transitions: Transition[]) => Promise<T>,
): Promise<T> {
  const transitions: Transition[] = [];
  const out = await fn(transitions);
  await applyPlanTransitions(tx, transitions);
  return out;
}

/**
 * Atomically hands out up to `limit` ready tasks to a registered worker: status queued, run_at
 * reached, dependencies completed, task type allowed, required skills ⊆ the worker's registered
 * capabilities (and ⊆ `capabilities` when the call gives them: a narrowing); highest
 * priority first, then oldest. Each gets a lease, a fresh fencing token and a run row. Two
 * claims never return the same task. A constant number of statements whatever `limit` is.
 * A claimed task whose stored row cannot be read (JSON that is not JSON: written around this
 * library) is not returned: it fails for good with the reason, and the others go on.
 */
export async function claimTasks(db: Db, input: ClaimTasksInput): Promise<ClaimedTask[]> {
  const q = parseInput(ClaimTasksInputSchema, input, "claimTasks input");
  const claim = await withTx(db, (tx) =>
    withPlanTransitions(tx, (transitions) => claimIn(tx, q, transitions)),
  );
  return claimedTasks(db, claim);
}

/** The claimed task of a row read as values (TASK_COLUMNS first), with its run's id. */
function claimedFrom(values: readonly unknown[], runId: string): ClaimedTask {
  const task = taskFromValues(values);
  return { task, token: task.leaseToken, runId };
}

/**
 * A committed claim's tasks. One whose row does not read as a Task (taskFromValues throws) is
 * failed for good, in a transaction of its own, with that error as its reason: before, such a
 * row rolled back every claim that reached it, and no worker got past it.
 */
async function claimedTasks(db: Db, claim: Claim): Promise<ClaimedTask[]> {
  if (claim.keys.length === 0) return [];
  const { tasks, unreadable } = claim.tasks();
  if (unreadable.length > 0)
    await withTx(db, async (tx) => {
      for (const { key, error } of unreadable)
        await failRow(
          tx,
          { taskId: key.id, token: key.token, error: error.message, retryable: false },
          RetryPolicySchema.parse({}),
        );
    });
  return tasks;
}

/** Rows as value arrays in TASK_COLUMNS order (building 28-key objects was a third of a claim) to tasks. */
function readClaimed(rows: readonly unknown[][], keys: readonly ClaimKey[]) {
  const tasks: ClaimedTask[] = [];
  const unreadable: { key: ClaimKey; error: Error }[] = [];
  rows.forEach((v, i) => {
    const key = keys[i]!;
    try {
      tasks.push(claimedFrom(v, key.runId));
    } catch (error) {
      unreadable.push({ key, error: error as Error });
    }
  });
  return { tasks, unreadable };
}

/** PostgreSQL: the claimed rows in claim order (RETURNING does not keep the subquery's order). */
function claimOrder(rows: unknown[][]): unknown[][] {
  const P = TASK_COLUMN_AT.priority;
  const T = TASK_COLUMN_AT.created_at;
  return rows.sort((a, b) => Number(b[P]) - Number(a[P]) || Number(a[T]) - Number(b[T]));
}

/**
 * The claim inside a transaction; its plan transitions go to `transitions` (the caller applies
 * them). Its tasks are read from the rows once the caller asks (claimedTasks, after COMMIT).
 */
async function claimIn(
  tx: TxState,
  q: z.output<typeof ClaimTasksInputSchema>,
  transitions: Transition[],
): Promise<Claim> {
  const types = q.taskTypes ? JSON.stringify(q.taskTypes) : null;
  // Required skills are matched against the worker's registered capabilities (read in the
  // statement); capabilities given in the call narrow them, never widen.
  const caps = q.capabilities ? JSON.stringify(q.capabilities) : null;
  const ts = now();
  let claim: Claim;
  if (tx.ex.dialect === "postgres") {
    // The transaction runs without bitmap scans (see PostgresBackend.transaction).
    const all = await tx.ex.values(CLAIM_POSTGRES, [
      // The claim's UPDATE, then k, w and r (see CLAIM_POSTGRES).
      q.workerId,
      ts + q.leaseMs,
      ts,
      ...pickParams(q, types, caps, ts),
      q.workerId,
      ts,
      q.workerId,
      ts,
      ts,
    ]);
    if (Number(all[0]?.[PG_WORKER_FOUND] ?? 0) === 0) throw new WorkerNotFoundError(q.workerId);
    const rows = claimOrder(all.filter((v) => v[PG_RUN_ID] !== null));
    const keys = rows.map((v) => ({
      id: v[TASK_COLUMN_AT.id] as string,
      token: Number(v[TASK_COLUMN_AT.lease_token]),
      attempt: Number(v[TASK_COLUMN_AT.attempts]),
      planId: (v[TASK_COLUMN_AT.plan_id] ?? null) as string | null,
      phase: v[TASK_COLUMN_AT.current_phase] as string,
      runId: v[PG_RUN_ID] as string,
    }));
    claim = { keys, tasks: () => readClaimed(rows, keys) };
  } else {
    claim = await claimSqlite(tx, q, types, caps, ts);
    // After the claim, so one statement both proves the worker exists (else the transaction
    // rolls back: nothing claimed) and records its heartbeat and current task.
    const worker = await tx.ex.run(
      `UPDATE workers SET last_heartbeat = ?, status = CASE WHEN status = 'offline' THEN 'active' ELSE status END,
         current_task_id = COALESCE(?, current_task_id) WHERE id = ?`,
      [ts, claim.keys[0]?.id ?? null, q.workerId],
    );
    if (worker.changes === 0) throw new WorkerNotFoundError(q.workerId);
  }
  if (claim.keys.length === 0) return claim;
  for (const k of claim.keys) {
    tx.events.push({
      type: "task.claimed",
      taskId: k.id,
      workerId: q.workerId,
      token: k.token,
      attempt: k.attempt,
    });
    if (k.planId)
      transitions.push({ planId: k.planId, from: "queued", to: "in_progress", taskId: k.id, phase: k.phase });
  }
  if (tx.ex.dialect === "sqlite")
    await tx.ex.run(INSERT_RUNS_SQLITE, [
      q.workerId,
      ts,
      JSON.stringify(claim.keys.map((k) => ({ run: k.runId, id: k.id, phase: k.phase }))),
    ]);
  return claim;
}

/** Why a guarded update matched nothing: no task, or the caller's lease is gone. */
async function leaseFailure(tx: TxState, taskId: string, token: number): Promise<Error> {
  const row = await tx.ex.get<{ status: string; lease_token: number }>(
    "SELECT status, lease_token FROM tasks WHERE id = ?",
    [taskId],
  );
  if (!row) return new TaskNotFoundError(taskId);
  if (Number(row.lease_token) !== token)
    return new LeaseLostError(taskId, token, `the task was claimed again (current token ${row.lease_token})`);
  if (row.status === "cancelled") return new LeaseLostError(taskId, token, "the task was cancelled");
  return new LeaseLostError(
    taskId,
    token,
    `the task is ${row.status}, no longer in_progress (lease expired?)`,
  );
}

/**
 * No worker's current_task_id names these tasks any more (they left their worker: failed,
 * released, cancelled, reaped; the completion clears it in its own statement). One statement
 * whatever their number. On PostgreSQL a worker row another transaction holds is skipped, as
 * by the completion: that is
 * the worker's own claim or commit, and waiting for it here (holding the tasks' row locks) could
 * deadlock with its failTask of one of them.
 */
export async function clearCurrentTasks(tx: TxState, taskIds: readonly string[]): Promise<void> {
  if (taskIds.length === 0) return;
  await tx.ex.run(tx.ex.dialect === "postgres" ? CLEAR_CURRENT_TASKS_POSTGRES : CLEAR_CURRENT_TASK_SQLITE, [
    JSON.stringify(taskIds),
  ]);
}
const CLEAR_CURRENT_TASKS_POSTGRES = `UPDATE workers SET current_task_id = NULL WHERE id IN (
    SELECT wl.id FROM workers wl WHERE wl.current_task_id IN (SELECT id FROM ${jsonIds("postgres")})
    FOR NO KEY UPDATE SKIP LOCKED)`;

export type BatchResult =
  | { taskId: string; ok: true; task: Task }
  | { taskId: string; ok: false; error: Error };

type CompleteItem = z.output<typeof CompleteTaskInputSchema>;

/** A batch item's outcome; `task` is null when the caller asked for no rows back (lean). */
type SetResult =
  | { taskId: string; ok: true; task: Task | null }
  | { taskId: string; ok: false; error: Error };

/** Results in input order: the completed task, or why its guard matched nothing. */
async function batchResults(
  tx: TxState,
  items: readonly CompleteItem[],
  first: ReadonlyMap<string, CompleteItem>,
  done: ReadonlyMap<string, Task | null>,
): Promise<SetResult[]> {
  const out: SetResult[] = [];
  for (const c of items) {
    const task = first.get(c.taskId) === c ? done.get(c.taskId) : undefined;
    out.push(
      task !== undefined
        ? { taskId: c.taskId, ok: true, task }
        : { taskId: c.taskId, ok: false, error: await leaseFailure(tx, c.taskId, c.token) },
    );
  }
  return out;
}

/**
 * A completion batch as its statements bind it, built before the transaction (nothing in it
 * reads the database, and SQLite's write lock is held for none of it): one item per task, the
 * one with the highest token (tokens only grow, so no other can hold the lease; taking the
 * first instead let a stale item hide the current one), and the JSON texts bound.
 */
interface CompletionBatch {
  items: readonly CompleteItem[];
  first: ReadonlyMap<string, CompleteItem>;
  rows: CompleteRow[];
  /** `rows` as JSON. */
  json: string;
  /** The rows' task ids as JSON. */
  idsJson: string;
}

function completionBatch(items: readonly CompleteItem[]): CompletionBatch {
  const first = new Map<string, CompleteItem>();
  for (const c of items) {
    const seen = first.get(c.taskId);
    if (!seen || c.token > seen.token) first.set(c.taskId, c);
  }
  const rows: CompleteRow[] = [...first.values()].map((c) => ({
    id: c.taskId,
    token: c.token,
    result: toJson(c.result),
    log: c.outputLog ?? null,
  }));
  return { items, first, rows, json: JSON.stringify(rows), idsJson: JSON.stringify([...first.keys()]) };
}

/**
 * Completes a batch set-based: one guarded UPDATE of the tasks (id and fencing token must match a
 * task in progress), one of their latest runs, one release of the dependents, whatever the batch
 * size. An item whose guard matched nothing wrote nothing, so the others need no savepoint; it
 * gets the reason (LeaseLostError, TaskNotFoundError). A task named twice completes once, by
 * the item with the highest token.
 */
async function completeSet(
  tx: TxState,
  b: CompletionBatch,
  transitions: Transition[],
  lean = false,
): Promise<SetResult[]> {
  const ts = now();
  const rows =
    tx.ex.dialect === "postgres"
      ? await completedRowsPostgres(tx, b, ts, lean)
      : await completedRowsSqlite(tx, b, ts, lean);
  const done = new Map<string, Task | null>();
  for (const r of rows) {
    done.set(r.id, lean ? null : taskFromRow(r));
    tx.events.push({ type: "task.completed", taskId: r.id, planId: r.plan_id });
    if (r.plan_id)
      transitions.push({ planId: r.plan_id, from: "in_progress", to: "completed", taskId: r.id });
  }
  return batchResults(tx, b.items, b.first, done);
}

type CompleteRow = { id: string; token: number; result: string | null; log: string | null };

// SQLite completion statements. `+` keeps the planner off the status index: it would scan every
// task in progress and probe the batch for each, instead of looking up each batch item by id.
const completeTasksSqlite = (returning: string) =>
  `UPDATE tasks SET status = 'completed', result = j.result, completed_at = ?, updated_at = ?, lease_expires_at = NULL, last_error = NULL
     FROM ${jsonRows("sqlite", { id: "text", token: "bigint", result: "text" })}
     WHERE tasks.id = j.id AND +tasks.status = 'in_progress' AND tasks.lease_token = j.token
     RETURNING ${returning}`;
const COMPLETE_TASKS_SQLITE = {
  full: completeTasksSqlite("*"),
  lean: completeTasksSqlite("id, plan_id, dependents_version"),
};
const COMPLETE_RUNS_SQLITE = `UPDATE runs SET status = 'completed', completed_at = ?, result_data = j.result,
       output_log = COALESCE(j.log, runs.output_log)
     FROM ${jsonRows("sqlite", { id: "text", result: "text", log: "text" })}
     WHERE runs.task_id = j.id AND runs.run_number = (SELECT MAX(r.run_number) FROM runs r WHERE r.task_id = j.id)`;
const CLEAR_CURRENT_TASK_SQLITE = `UPDATE workers SET current_task_id = NULL
     WHERE current_task_id IN (SELECT id FROM ${jsonIds("sqlite")})`;

/** SQLite: the guarded UPDATE of the tasks, then their runs, workers and dependents. */
async function completedRowsSqlite(
  tx: TxState,
  b: CompletionBatch,
  ts: number,
  lean: boolean,
): Promise<TaskRowRaw[]> {
  const rows = await tx.ex.all<TaskRowRaw>(COMPLETE_TASKS_SQLITE[lean ? "lean" : "full"], [ts, ts, b.json]);
  if (rows.length === 0) return rows;
  // Every row matched (the usual case): the texts built before the transaction are the ones.
  let { json, idsJson } = b;
  if (rows.length !== b.rows.length) {
    const matched = new Set(rows.map((r) => r.id));
    json = JSON.stringify(b.rows.filter((row) => matched.has(row.id)));
    idsJson = JSON.stringify([...matched]);
  }
  await tx.ex.run(COMPLETE_RUNS_SQLITE, [ts, json]);
  await tx.ex.run(CLEAR_CURRENT_TASK_SQLITE, [idsJson]);
  // Most tasks have no dependents: no release statement for a batch of them.
  await releaseDependents(
    tx,
    rows.filter((r) => Number(r.dependents_version) !== 0).map((r) => r.id),
  );
  return rows;
}

// PostgreSQL: the completion, the runs, the workers' current task and the dependents' release in
// one statement (one round trip). `= ANY(ARRAY(...))` looks the batch up by primary key (else the
// planner scans every task in progress). The release touches only tasks waiting on dependencies,
// never one of the completed ones, so the two UPDATEs of tasks never meet the same row; it skips
// tasks without dependents (dependents_version 0).
//
// A createTask naming a task of the batch as its dependency bumps that task's dependents_version
// and holds its row lock until it commits (tasks.ts). The completion waits for it, but keeps the
// snapshot it started with: the release here would miss the new edge, and the new task would
// wait forever. `d` holds the row's latest version, the subquery the one of this statement's
// snapshot: when they differ, this statement waited for such a creation, so that task's
// dependents are released by a statement of their own (releaseDependents, with a snapshot that
// sees the edge) instead of here. Rare: only a creation and a completion of its dependency at
// the same moment. The worker's current task is cleared unless another transaction holds the
// worker row (another lane of the same worker, whose claim sets it anew): not worth a wait.
const COMPLETE_POSTGRES = `WITH j AS (SELECT * FROM json_to_recordset(?::json) AS j(id text, token bigint, result text, log text)),
  d AS (UPDATE tasks SET status = 'completed', result = j.result, completed_at = ?, updated_at = ?, lease_expires_at = NULL, last_error = NULL
    FROM j WHERE tasks.id = ANY(ARRAY(SELECT j.id FROM j)) AND tasks.id = j.id AND tasks.status = 'in_progress'
      AND tasks.lease_token = j.token RETURNING %RETURNING%),
  v AS (SELECT d.id, d.dependents_version <> (SELECT s.dependents_version FROM tasks s WHERE s.id = d.id) AS late
    FROM d WHERE d.dependents_version <> 0),
  r AS (UPDATE runs SET status = 'completed', completed_at = ?, result_data = j.result, output_log = COALESCE(j.log, runs.output_log)
    FROM j JOIN d ON d.id = j.id
    WHERE runs.task_id = j.id AND runs.run_number = (SELECT MAX(x.run_number) FROM runs x WHERE x.task_id = j.id)
    RETURNING 1),
  w AS (UPDATE workers SET current_task_id = NULL WHERE id IN (SELECT wl.id FROM workers wl WHERE wl.current_task_id IN (SELECT id FROM d) FOR NO KEY UPDATE SKIP LOCKED) RETURNING 1),
  rel AS (UPDATE tasks SET pending_deps = GREATEST(tasks.pending_deps - dd.n, 0),
      status = CASE WHEN tasks.pending_deps <= dd.n AND tasks.status = 'blocked' THEN 'queued' ELSE tasks.status END,
      updated_at = ?
    FROM (SELECT dep.task_id, count(*) AS n FROM task_dependencies dep JOIN v ON dep.depends_on_id = v.id
          WHERE NOT v.late GROUP BY dep.task_id) AS dd
    WHERE tasks.id = dd.task_id AND tasks.pending_deps > 0 AND tasks.status <> 'in_progress'
    RETURNING tasks.id, tasks.status)
  SELECT %COLUMNS%, (SELECT json_agg(rel.id) FROM rel WHERE rel.status = 'queued') AS hive_released,
    (SELECT json_agg(v.id) FROM v WHERE v.late) AS hive_late FROM d`;
// Lean (the Worker's group commits): `d` keeps only what the statement and the caller read, not
// every column of every completed task (server CPU per task in an in-process drain: 39.3 → 37.2 µs).
const COMPLETE_POSTGRES_SQL = {
  full: COMPLETE_POSTGRES.replace("%RETURNING%", "tasks.*").replace("%COLUMNS%", "d.*"),
  lean: COMPLETE_POSTGRES.replace("%RETURNING%", "tasks.id, tasks.plan_id, tasks.dependents_version").replace(
    "%COLUMNS%",
    "d.id, d.plan_id",
  ),
};

/**
 * PostgreSQL: all of it in one statement; the dependents it queued become events here. A task
 * whose new dependent's creation the statement waited for has its dependents released by a
 * statement of their own.
 */
async function completedRowsPostgres(
  tx: TxState,
  b: CompletionBatch,
  ts: number,
  lean: boolean,
): Promise<TaskRowRaw[]> {
  const rows = await tx.ex.all<TaskRowRaw & { hive_released: string[] | null; hive_late: string[] | null }>(
    COMPLETE_POSTGRES_SQL[lean ? "lean" : "full"],
    [b.json, ts, ts, ts, ts],
  );
  for (const id of rows[0]?.hive_released ?? []) tx.events.push({ type: "task.queued", taskId: id });
  await releaseDependents(tx, rows[0]?.hive_late ?? []);
  return rows;
}

/**
 * Completes a task the caller holds the lease of (its fencing token). Dependents whose last
 * dependency this was become claimable in the same transaction. A stale token: LeaseLostError.
 */
export async function completeTask(db: Db, input: CompleteTaskInput): Promise<Task> {
  const b = completionBatch([parseInput(CompleteTaskInputSchema, input, "completeTask input")]);
  return withTx(db, async (tx) => {
    const [r] = await withPlanTransitions(tx, (transitions) => completeSet(tx, b, transitions));
    if (!r!.ok) throw r!.error;
    return r!.task as Task;
  });
}

/**
 * Completes many tasks in one transaction (group commit), set-based. Each item stands alone: a
 * lost lease on one is reported in its result and does not undo the others.
 */
export async function completeTasks(db: Db, inputs: readonly CompleteTaskInput[]): Promise<BatchResult[]> {
  const items = parseInput(z.array(CompleteTaskInputSchema), inputs, "completeTasks input");
  if (items.length === 0) return [];
  const b = completionBatch(items);
  return withTx(
    db,
    async (tx) =>
      (await withPlanTransitions(tx, (transitions) => completeSet(tx, b, transitions))) as BatchResult[],
  );
}

/** Runs one item of a batch in a savepoint so its failure undoes only its own writes. */
async function savepointed<T>(tx: TxState, fn: () => Promise<T>): Promise<T> {
  return withTx({ kind: tx.root.kind, events: tx.root.events, _tx: tx }, fn);
}

const FailOptionsSchema = z.strictObject({ backoff: RetryPolicySchema.optional() });

async function failIn(
  tx: TxState,
  f: z.output<typeof FailTaskInputSchema>,
  policy: RetryPolicy,
): Promise<Task> {
  return taskFromRow((await failRow(tx, f, policy))!);
}

/** failIn without reading the row back as a Task (its JSON may be what made it fail). */
async function failRow(
  tx: TxState,
  f: z.output<typeof FailTaskInputSchema>,
  policy: RetryPolicy,
): Promise<TaskRowRaw | undefined> {
  const ts = now();
  const locked = await lockTaskRow(tx.ex, f.taskId);
  const cur =
    locked && locked.status === "in_progress" && Number(locked.lease_token) === f.token ? locked : null;
  if (!cur) throw await leaseFailure(tx, f.taskId, f.token);
  const attempts = Number(cur.attempts);
  const retry = f.retryable && attempts <= Number(cur.max_retries);
  const runAt = retry ? ts + backoffDelay(attempts, policy) : Number(cur.run_at);
  const row = await tx.ex.get<TaskRowRaw>(
    `UPDATE tasks SET status = ?, last_error = ?, run_at = ?, updated_at = ?, lease_expires_at = NULL,
       assigned_worker = CASE WHEN ? = 1 THEN NULL ELSE assigned_worker END, result = COALESCE(?, result)
     WHERE id = ? AND lease_token = ? AND status = 'in_progress' RETURNING *`,
    [retry ? "queued" : "failed", f.error, runAt, ts, retry ? 1 : 0, toJson(f.result), f.taskId, f.token],
  );
  await tx.ex.run(
    `UPDATE runs SET status = 'failed', completed_at = ?, error_message = ?, output_log = COALESCE(?, output_log),
       result_data = COALESCE(?, result_data) WHERE task_id = ? AND run_number = ${LATEST_RUN_NUMBER}`,
    [ts, f.error, f.outputLog ?? null, toJson(f.result), f.taskId, f.taskId],
  );
  await clearCurrentTasks(tx, [f.taskId]);
  if (retry) {
    tx.events.push({ type: "task.retried", taskId: f.taskId, attempt: attempts, runAt, error: f.error });
    await applyPlanTransitions(tx, [
      { planId: cur.plan_id, from: "in_progress", to: "queued", taskId: f.taskId },
    ]);
  } else {
    tx.events.push({ type: "task.failed", taskId: f.taskId, planId: cur.plan_id, error: f.error });
    await applyPlanTransitions(tx, [
      { planId: cur.plan_id, from: "in_progress", to: "failed", taskId: f.taskId },
    ]);
    await blockDescendants(tx, f.taskId, `dependency ${f.taskId} failed: ${f.error}`);
  }
  return row;
}

/**
 * Reports a failed attempt. With attempts left (attempts ≤ maxRetries) and `retryable`, the task
 * is queued again after an exponential backoff with jitter; otherwise it fails for good (the
 * dead-letter state, see requeueTask) and its dependents are blocked. Stale token: LeaseLostError.
 */
export async function failTask(
  db: Db,
  input: FailTaskInput,
  options: z.input<typeof FailOptionsSchema> = {},
): Promise<Task> {
  const f = parseInput(FailTaskInputSchema, input, "failTask input");
  const o = parseInput(FailOptionsSchema, options, "failTask options");
  return withTx(db, (tx) => failIn(tx, f, o.backoff ?? {}));
}

/** Fails many tasks in one transaction; each item stands alone (see completeTasks). */
export async function failTasks(
  db: Db,
  inputs: readonly FailTaskInput[],
  options: z.input<typeof FailOptionsSchema> = {},
): Promise<BatchResult[]> {
  const items = parseInput(z.array(FailTaskInputSchema), inputs, "failTasks input");
  const o = parseInput(FailOptionsSchema, options, "failTasks options");
  return withTx(db, (tx) => failEach(tx, items, o.backoff ?? {}));
}

/** Fails each item in its own savepoint: its result, or why it could not be recorded. */
async function failEach(
  tx: TxState,
  items: readonly z.output<typeof FailTaskInputSchema>[],
  policy: RetryPolicy,
): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  for (const f of items) {
    try {
      out.push({ taskId: f.taskId, ok: true, task: await savepointed(tx, () => failIn(tx, f, policy)) });
    } catch (error) {
      out.push({ taskId: f.taskId, ok: false, error: error as Error });
    }
  }
  return out;
}

/** What reportOutcomes says of each outcome: recorded (the task, for failures), or why not. */
export type OutcomeResult = SetResult;

/**
 * The worker's group commit: completions and failures in one transaction, then (when `claim` is
 * given) the worker's next claim in the same transaction, so a busy worker commits once per
 * batch, not twice, and a dependent its completions released can be claimed at once. Completions
 * are set-based and need no savepoint (an item whose guard fails writes nothing); each failure
 * runs in its own savepoint. If the claim fails (the worker row is gone, say), nothing of the
 * transaction is kept: the caller reports again without the claim.
 */
export async function reportOutcomes(
  db: Db,
  completes: readonly CompleteTaskInput[],
  fails: readonly FailTaskInput[],
  policy: RetryPolicy,
  claim?: ClaimTasksInput,
): Promise<{ results: OutcomeResult[]; claimed: ClaimedTask[] }> {
  const c = parseInput(z.array(CompleteTaskInputSchema), completes, "completeTasks input");
  const f = parseInput(z.array(FailTaskInputSchema), fails, "failTasks input");
  const q = claim ? parseInput(ClaimTasksInputSchema, claim, "claimTasks input") : undefined;
  const b = c.length > 0 ? completionBatch(c) : null;
  const done = await withTx(db, (tx) =>
    withPlanTransitions(tx, async (transitions) => {
      // Lean: the worker needs to know which outcomes were recorded, not the rows back.
      const results: OutcomeResult[] = b ? await completeSet(tx, b, transitions, true) : [];
      results.push(...(await failEach(tx, f, policy)));
      return { results, claimed: q ? await claimIn(tx, q, transitions) : NO_CLAIM };
    }),
  );
  return { results: done.results, claimed: await claimedTasks(db, done.claimed) };
}

/**
 * Extends the caller's lease (and records progress). With `leaseMs` the lease ends that long
 * from now, shorter than before or longer; without it, at the later of its current end and now
 * + 30 s: a heartbeat that names no length never shortens a lease the claim made longer. The
 * result's `leaseExpiresAt` is the end stored. Tells the worker when its task was cancelled so
 * it can abort; a lost lease throws LeaseLostError.
 */
export async function heartbeatTask(db: Db, input: HeartbeatTaskInput): Promise<HeartbeatResult> {
  const h = parseInput(HeartbeatTaskInputSchema, input, "heartbeatTask input");
  const explicit = h.leaseMs !== undefined;
  const leaseMs = h.leaseMs ?? HEARTBEAT_LEASE_MS;
  return withTx(db, async (tx) => {
    const ts = now();
    const row = await tx.ex.get<{
      lease_expires_at: number;
      attempts: number;
      assigned_worker: string | null;
    }>(
      `UPDATE tasks SET lease_expires_at = CASE WHEN ? = 0 AND lease_expires_at > ? THEN lease_expires_at ELSE ? END,
         updated_at = ?, current_phase = COALESCE(?, current_phase)
       WHERE id = ? AND status = 'in_progress' AND lease_token = ? RETURNING lease_expires_at, attempts, assigned_worker`,
      [explicit ? 1 : 0, ts + leaseMs, ts + leaseMs, ts, h.phase ?? null, h.taskId, h.token],
    );
    if (!row) {
      const cancelled = await tx.ex.get(
        "SELECT 1 AS x FROM tasks WHERE id = ? AND status = 'cancelled' AND lease_token = ? AND cancel_requested = 1",
        [h.taskId, h.token],
      );
      if (cancelled) return { leaseExpiresAt: ts, cancelRequested: true };
      throw await leaseFailure(tx, h.taskId, h.token);
    }
    if (h.phase !== undefined || h.outputLog !== undefined)
      await tx.ex.run(
        `UPDATE runs SET phase = COALESCE(?, phase), output_log = COALESCE(?, output_log) WHERE task_id = ? AND run_number = ${LATEST_RUN_NUMBER}`,
        [h.phase ?? null, h.outputLog ?? null, h.taskId, h.taskId],
      );
    if (row.assigned_worker)
      await tx.ex.run("UPDATE workers SET last_heartbeat = ? WHERE id = ?", [ts, row.assigned_worker]);
    return { leaseExpiresAt: Number(row.lease_expires_at), cancelRequested: false };
  });
}

/** What renewLeases did for one lease. */
export type LeaseRenewal = "renewed" | "cancelled" | "lost" | "busy";

// The renewal of a worker's leases, in one statement. PostgreSQL: a task row another
// transaction holds locked is skipped (`busy`, renewed at the next pass) instead of waited for:
// a heartbeat per task in turn waited on one locked row while every lease behind it expired,
// and their tasks ran twice. SQLite has no row locks: one writer at a time.
const RENEW_POSTGRES = `WITH j AS (SELECT * FROM json_to_recordset(?::json) AS j(id text, token bigint)),
  l AS (SELECT t.id FROM tasks t JOIN j ON t.id = j.id AND t.lease_token = j.token
    WHERE t.id = ANY(ARRAY(SELECT j.id FROM j)) AND t.status = 'in_progress'
    FOR NO KEY UPDATE OF t SKIP LOCKED),
  u AS (UPDATE tasks SET lease_expires_at = ?, updated_at = ? WHERE id IN (SELECT id FROM l) RETURNING id)
  SELECT j.id, u.id IS NOT NULL AS renewed, t.status, t.lease_token, t.cancel_requested
  FROM j LEFT JOIN u ON u.id = j.id LEFT JOIN tasks t ON t.id = j.id`;
const RENEW_SQLITE = `UPDATE tasks SET lease_expires_at = ?, updated_at = ?
  FROM ${jsonRows("sqlite", { id: "text", token: "bigint" })}
  WHERE tasks.id = j.id AND tasks.lease_token = j.token AND +tasks.status = 'in_progress' RETURNING tasks.id`;

/**
 * Renews many leases at once (the Worker's heartbeat of everything it holds): each to now +
 * `leaseMs`, guarded by its token like heartbeatTask. Per lease: `renewed`; `cancelled` (the task
 * was cancelled: abort); `lost` (claimed again, finished, gone); `busy` (PostgreSQL: its row is
 * locked by another transaction at this moment; nothing written, try again). One statement
 * whatever their number; no phase or log (heartbeatTask records those).
 */
export async function renewLeases(
  db: Db,
  leases: readonly { taskId: string; token: number }[],
  leaseMs: number,
): Promise<Map<string, LeaseRenewal>> {
  const items = parseInput(
    z.array(z.strictObject({ taskId: KeyArgSchema, token: z.number().int() })),
    leases,
    "renewLeases input",
  );
  const ms = parseInput(
    z
      .number()
      .int()
      .min(100)
      .max(24 * 3600 * 1000),
    leaseMs,
    "leaseMs",
  );
  const out = new Map<string, LeaseRenewal>();
  if (items.length === 0) return out;
  const json = JSON.stringify(items.map((l) => ({ id: l.taskId, token: l.token })));
  return withTx(db, async (tx) => {
    const ts = now();
    if (tx.ex.dialect === "postgres") {
      const rows = await tx.ex.all<{
        id: string;
        renewed: boolean;
        status: string | null;
        lease_token: number | null;
        cancel_requested: number | null;
      }>(RENEW_POSTGRES, [json, ts + ms, ts]);
      const token = new Map(items.map((l) => [l.taskId, l.token]));
      for (const r of rows) {
        const mine = Number(r.lease_token) === token.get(r.id);
        out.set(
          r.id,
          r.renewed
            ? "renewed"
            : mine && r.status === "in_progress"
              ? "busy"
              : mine && r.status === "cancelled" && Number(r.cancel_requested) === 1
                ? "cancelled"
                : "lost",
        );
      }
      return out;
    }
    const renewed = new Set(
      (await tx.ex.all<{ id: string }>(RENEW_SQLITE, [ts + ms, ts, json])).map((r) => r.id),
    );
    const rest = items.filter((l) => !renewed.has(l.taskId));
    const cancelled = new Set<string>();
    if (rest.length > 0)
      for (const r of await tx.ex.all<{ id: string }>(
        `SELECT tasks.id FROM tasks JOIN ${jsonRows("sqlite", { id: "text", token: "bigint" })}
           ON tasks.id = j.id AND tasks.lease_token = j.token
         WHERE tasks.status = 'cancelled' AND tasks.cancel_requested = 1`,
        [JSON.stringify(rest.map((l) => ({ id: l.taskId, token: l.token })))],
      ))
        cancelled.add(r.id);
    for (const l of items)
      out.set(l.taskId, renewed.has(l.taskId) ? "renewed" : cancelled.has(l.taskId) ? "cancelled" : "lost");
    return out;
  });
}

/**
 * Hands back tasks the caller claimed but never started (a worker shutting down with a
 * prefetched buffer): they return to the queue as if never claimed (attempt and run row undone);
 * the fencing token stays advanced, so the old lease stays invalid.
 */
export async function releaseTasks(
  db: Db,
  leases: readonly { taskId: string; token: number }[],
): Promise<number> {
  const items = parseInput(
    z.array(z.strictObject({ taskId: KeyArgSchema, token: z.number().int() })),
    leases,
    "releaseTasks input",
  );
  return withTx(db, async (tx) => {
    const released: string[] = [];
    for (const l of items) {
      const row = await tx.ex.get<{ plan_id: string | null; attempts: number }>(
        `UPDATE tasks SET status = 'queued', attempts = attempts - 1, assigned_worker = NULL, lease_expires_at = NULL,
           updated_at = ? WHERE id = ? AND status = 'in_progress' AND lease_token = ? RETURNING plan_id, attempts`,
        [now(), l.taskId, l.token],
      );
      if (!row) continue;
      released.push(l.taskId);
      await tx.ex.run(`DELETE FROM runs WHERE task_id = ? AND run_number = ${LATEST_RUN_NUMBER}`, [
        l.taskId,
        l.taskId,
      ]);
      tx.events.push({ type: "task.queued", taskId: l.taskId });
      await applyPlanTransitions(tx, [
        { planId: row.plan_id, from: "in_progress", to: "queued", taskId: l.taskId },
      ]);
    }
    await clearCurrentTasks(tx, released);
    return released.length;
  });
}

/**
 * A cheap read: is anything claimable now, optionally of these task types and (when
 * `capabilities` is given) within those skills? Lets idle workers poll without write locks, and
 * tells a worker apart from work it could never take.
 */
export async function hasClaimableTasks(
  db: Db,
  taskTypes?: readonly string[],
  capabilities?: readonly string[],
): Promise<boolean> {
  const types = parseInput(ClaimTasksInputSchema.shape.taskTypes, taskTypes, "task types");
  const caps = parseInput(SkillListSchema.optional(), capabilities, "capabilities");
  return withRead(db, async (ex) => {
    const params: (string | number)[] = [now()];
    let sql = "SELECT 1 AS x FROM tasks WHERE status = 'queued' AND run_at <= ?";
    if (types?.length) {
      sql += ` AND task_type IN (${types.map(() => "?").join(", ")})`;
      params.push(...types);
    }
    if (caps) {
      sql +=
        ex.dialect === "sqlite"
          ? ` AND (required_skills = '[]' OR NOT EXISTS (SELECT 1 FROM json_each(tasks.required_skills) s
               WHERE s.value NOT IN (SELECT value FROM json_each(?))))`
          : " AND (required_skills = '[]' OR required_skills::jsonb <@ ?::jsonb)";
      params.push(JSON.stringify(caps));
    }
    return (await ex.get(`${sql} LIMIT 1`, params)) !== undefined;
  });
}
