/**
 * Writing new task rows. A task just created is built in JS from its validated input (the row we
 * write is exactly what we know), so nothing is read back and nothing is re-validated. Batches
 * go in as multi-row statements: on SQLite multi-row VALUES, on PostgreSQL one JSON text
 * parameter per chunk expanded by `jsonb_array_elements` (one round trip per 2,000 tasks).
 */
import type { CreateTaskInputSchema, Task, TaskStatus } from "@hive/models";
import type { z } from "zod";
import type { TxState } from "./handle.ts";
import { toJson } from "./rows.ts";

export type ParsedCreate = z.output<typeof CreateTaskInputSchema>;

/** What a new task's row needs beyond its input. */
export interface NewTaskFields {
  id: string;
  status: TaskStatus;
  pendingDeps: number;
  ts: number;
}

/**
 * The Task as `taskFromRow` will read it back once written: defaults for the columns a new row
 * does not set, null for optional fields the input left out. (A plan's tasks are written by
 * planInsert.ts.)
 */
export function newTask(t: ParsedCreate, f: NewTaskFields): Task {
  return {
    id: f.id,
    title: t.title,
    description: t.description ?? null,
    taskType: t.taskType,
    priority: t.priority,
    status: f.status,
    currentPhase: t.currentPhase,
    workflow: t.workflow ?? null,
    payload: t.payload ?? null,
    tags: t.tags,
    requiredSkills: t.requiredSkills,
    createdAt: f.ts,
    updatedAt: f.ts,
    assignedWorker: null,
    dueDate: t.dueDate ?? null,
    maxRetries: t.maxRetries,
    attempts: 0,
    leaseToken: 0,
    leaseExpiresAt: null,
    runAt: t.runAt ?? f.ts + (t.delayMs ?? 0),
    idempotencyKey: t.idempotencyKey ?? null,
    planId: null,
    subtaskId: null,
    pendingDependencies: f.pendingDeps,
    cancelRequested: false,
    result: null,
    lastError: null,
    completedAt: null,
  };
}

/** Most tasks have no tags or skills: no stringify for them. */
const listJson = (a: readonly string[]): string => (a.length === 0 ? "[]" : JSON.stringify(a));

/** The columns a new task row sets (the rest take their defaults), in putRow's order. */
export const NEW_TASK_COLUMNS = `id, title, description, task_type, priority, status, current_phase, workflow, payload,
  created_at, updated_at, due_date, max_retries, tags, required_skills, run_at, idempotency_key, plan_id,
  subtask_id, pending_deps`;

/** Values per new task row (the columns of NEW_TASK_COLUMNS). */
const COLUMN_COUNT = 20;
const ROW = `(${new Array(COLUMN_COUNT).fill("?").join(", ")})`;
/** A multi-row INSERT of `n` new task rows. */
const insertRows = (n: number): string =>
  `INSERT INTO tasks (${NEW_TASK_COLUMNS}) VALUES ${new Array(n).fill(ROW).join(", ")}`;
const INSERT_ONE = insertRows(1);

/** Writes the COLUMN_COUNT values of a task's row, in NEW_TASK_COLUMNS order, into `out` from `at`. */
function putRow(task: Task, out: (string | number | null)[], at: number): void {
  out[at] = task.id;
  out[at + 1] = task.title;
  out[at + 2] = task.description;
  out[at + 3] = task.taskType;
  out[at + 4] = task.priority;
  out[at + 5] = task.status;
  out[at + 6] = task.currentPhase;
  out[at + 7] = toJson(task.workflow);
  out[at + 8] = toJson(task.payload);
  out[at + 9] = task.createdAt;
  out[at + 10] = task.updatedAt;
  out[at + 11] = task.dueDate;
  out[at + 12] = task.maxRetries;
  out[at + 13] = listJson(task.tags);
  out[at + 14] = listJson(task.requiredSkills);
  out[at + 15] = task.runAt;
  out[at + 16] = task.idempotencyKey;
  out[at + 17] = task.planId;
  out[at + 18] = task.subtaskId;
  out[at + 19] = task.pendingDependencies;
}

function rowValues(task: Task): (string | number | null)[] {
  const out: (string | number | null)[] = new Array(COLUMN_COUNT);
  putRow(task, out, 0);
  return out;
}

/** Writes one new task row (edges are the caller's). */
export async function insertTask(tx: TxState, task: Task): Promise<void> {
  await tx.ex.run(INSERT_ONE, rowValues(task));
}

// SQLite: multi-row VALUES, bound parameters. Measured against `INSERT … SELECT … FROM
// json_each(?)`: the statement itself ran at ~12 µs a row through json_each and ~4-5 µs through
// VALUES (in memory, 1,000-row batches); building the parameters costs about the same as the
// JSON text. Statement sizes are a fixed set (and shared-column texts a bounded map below) so
// the backend's statement cache stays small.
const SQLITE_SIZES = [200, 40, 8, 1] as const;
const SQLITE_INSERT_N = new Map<number, string>(SQLITE_SIZES.map((n) => [n, insertRows(n)]));

/**
 * Bit c set: column c holds the same value in every row of the chunk (`flat` holds `n` rows of
 * COLUMN_COUNT values). The id (column 0) never is.
 */
function sameColumns(flat: readonly (string | number | null)[], n: number): number {
  let mask = 0;
  for (let c = 1; c < COLUMN_COUNT; c++) {
    const v = flat[c];
    let k = 1;
    while (k < n && flat[k * COLUMN_COUNT + c] === v) k++;
    if (k === n) mask |= 1 << c;
  }
  return mask;
}

/**
 * A multi-row INSERT of `n` rows where the columns in `mask` are bound once for the whole
 * statement and the rest per row: `INSERT … SELECT ?, column1, … FROM (VALUES (…), …)`. Most
 * batches differ only in a few columns (id, title, payload), and binding a value costs about as
 * much as writing it: 3 of 20 values per row for a batch like the benchmark's (measured in one
 * process, 200k tasks in batches of 1,000: 216-232k → 265-284k tasks/s).
 */
function insertSharedSql(n: number, mask: number): string {
  const select: string[] = [];
  let perRow = 0;
  for (let c = 0; c < COLUMN_COUNT; c++) select.push(mask & (1 << c) ? "?" : `column${++perRow}`);
  const tuple = `(${new Array(perRow).fill("?").join(", ")})`;
  return `INSERT INTO tasks (${NEW_TASK_COLUMNS}) SELECT ${select.join(", ")} FROM (VALUES ${new Array(n).fill(tuple).join(", ")})`;
}

/** Shared-column statement texts by size and mask (a batch rarely has more than one or two masks). */
const sharedSql = new Map<number, string>();
const SHARED_SQL_MAX = 64;

async function insertChunkSqlite(
  tx: TxState,
  tasks: readonly Task[],
  from: number,
  n: number,
): Promise<void> {
  const flat: (string | number | null)[] = new Array(n * COLUMN_COUNT);
  for (let k = 0; k < n; k++) putRow(tasks[from + k]!, flat, k * COLUMN_COUNT);
  const mask = n >= 40 ? sameColumns(flat, n) : 0;
  if (mask === 0) return void (await tx.ex.run(SQLITE_INSERT_N.get(n)!, flat));
  const key = mask * 256 + n;
  let sql = sharedSql.get(key);
  if (sql === undefined) {
    if (sharedSql.size >= SHARED_SQL_MAX) sharedSql.clear();
    sharedSql.set(key, (sql = insertSharedSql(n, mask)));
  }
  const params: (string | number | null)[] = [];
  for (let c = 0; c < COLUMN_COUNT; c++) if (mask & (1 << c)) params.push(flat[c] ?? null);
  for (let k = 0; k < n; k++)
    for (let c = 0; c < COLUMN_COUNT; c++)
      if (!(mask & (1 << c))) params.push(flat[k * COLUMN_COUNT + c] ?? null);
  await tx.ex.run(sql, params);
}

async function insertTasksSqlite(tx: TxState, tasks: readonly Task[]): Promise<void> {
  let i = 0;
  for (const size of SQLITE_SIZES)
    for (; i + size <= tasks.length; i += size) await insertChunkSqlite(tx, tasks, i, size);
}

// PostgreSQL: one round trip per chunk; the rows travel as one JSON text parameter, an array of
// rows in NEW_TASK_COLUMNS order. JSON columns travel as JSON text inside the array (a string), so what is
// stored is what JSON.stringify wrote, as on the single-row path. jsonb, not json: `->>` on json
// re-parses the element for every column. WITH ORDINALITY: rows are written in the order given.
const PG_INSERT_MANY = `INSERT INTO tasks (${NEW_TASK_COLUMNS})
  SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, (v ->> 4)::integer, v ->> 5, v ->> 6, v ->> 7, v ->> 8,
    (v ->> 9)::bigint, (v ->> 10)::bigint, (v ->> 11)::bigint, (v ->> 12)::integer, v ->> 13, v ->> 14,
    (v ->> 15)::bigint, v ->> 16, v ->> 17, v ->> 18, (v ->> 19)::integer
  FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY n`;

/** Rows per PostgreSQL statement: bounds the JSON text (and the memory) of one statement. */
const PG_CHUNK = 2000;

async function insertTasksPg(tx: TxState, tasks: readonly Task[]): Promise<void> {
  for (let i = 0; i < tasks.length; i += PG_CHUNK) {
    const rows = tasks.slice(i, i + PG_CHUNK).map(rowValues);
    await tx.ex.run(PG_INSERT_MANY, [JSON.stringify(rows)]);
  }
}

/** Writes many new task rows, a few statements per batch. */
export async function insertTasks(tx: TxState, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 1) return insertTask(tx, tasks[0]!);
  return tx.ex.dialect === "postgres" ? insertTasksPg(tx, tasks) : insertTasksSqlite(tx, tasks);
}
