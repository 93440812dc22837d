/**
 * Writing new task rows. A task just created is built in JS from its validated input (the row we
 * write is exactly what we know), so nothing is read back and nothing is re-validated. Batches
 * go in as multi-row statements (see insertManySql): on SQLite multi-row VALUES, on PostgreSQL
 * one JSON text parameter per chunk (one round trip per 2,000 tasks); values alike in a whole
 * chunk are bound once.
 */
import { isDeepStrictEqual } from "node:util";
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

/**
 * What an idempotent create compares with the task stored under its key: the inputs that say what
 * the task is, as newTask builds them (defaults applied: leaving `priority` out is giving 1).
 * Not compared: what the lifecycle moves after creation (status, attempts, currentPhase, run_at,
 * lease, result, errors), nor `runAt`/`delayMs`: a retry a moment later with the same
 * `delayMs: 1000` is the same request, and retries and requeues move run_at anyway.
 */
const CONTENT_FIELDS = [
  "title",
  "taskType",
  "description",
  "priority",
  "workflow",
  "payload",
  "tags",
  "requiredSkills",
  "maxRetries",
  "dueDate",
] as const satisfies readonly (keyof Task)[];
/** Lists whose order and repeats mean nothing. */
const SET_FIELDS: ReadonlySet<string> = new Set(["tags", "requiredSkills"]);

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
};

/** The value as written and read back (undefined members dropped, -0 as 0): JSON by value. */
const asStored = (v: unknown): unknown =>
  v === undefined || v === null ? null : JSON.parse(JSON.stringify(v));

/**
 * The inputs of `t` that differ from `stored`, the task already holding its idempotency key
 * (`storedDeps`: that task's dependency ids). JSON (payload, workflow) compares by value, key
 * order aside; tags, skills and dependencies as sets; `id` only when the call names one.
 * Empty: the same request, which gets the stored task back.
 */
export function contentDiff(stored: Task, storedDeps: readonly string[], t: ParsedCreate): string[] {
  const asked = newTask(t, { id: stored.id, status: stored.status, pendingDeps: 0, ts: 0 });
  const diff: string[] = CONTENT_FIELDS.filter((f) =>
    SET_FIELDS.has(f)
      ? !sameSet(stored[f] as string[], asked[f] as string[])
      : !isDeepStrictEqual(asStored(stored[f]), asStored(asked[f])),
  );
  if (!sameSet(storedDeps, t.dependsOn)) diff.push("dependsOn");
  if (t.id !== undefined && t.id !== stored.id) diff.push("id");
  return diff;
}

/** Most tasks have no tags or skills: no stringify for them. */
const listJson = (a: readonly string[]): string => (a.length === 0 ? "[]" : JSON.stringify(a));

/**
 * The columns a new task row sets (the rest take their defaults), in putRow's order, with their
 * PostgreSQL types (for the typed parameters and casts of insertManySql).
 */
const NEW_TASK_COLUMN_TYPES = {
  id: "text",
  title: "text",
  description: "text",
  task_type: "text",
  priority: "integer",
  status: "text",
  current_phase: "text",
  workflow: "text",
  payload: "text",
  created_at: "bigint",
  updated_at: "bigint",
  due_date: "bigint",
  max_retries: "integer",
  tags: "text",
  required_skills: "text",
  run_at: "bigint",
  idempotency_key: "text",
  plan_id: "text",
  subtask_id: "text",
  pending_deps: "integer",
} as const;
const PG_TYPES = Object.values(NEW_TASK_COLUMN_TYPES);
export const NEW_TASK_COLUMNS = Object.keys(NEW_TASK_COLUMN_TYPES).join(", ");
/** Values per new task row. */
const COLUMN_COUNT = PG_TYPES.length;
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

/**
 * One new task row as a statement of its own (writeAlone): sent again after a connection error
 * that hid its commit, it inserts nothing (the id is new, so a conflict is that first insert).
 */
export function insertTaskAlone(task: Task): { sql: string; params: (string | number | null)[] } {
  return { sql: INSERT_ONE_ALONE, params: rowValues(task) };
}
const INSERT_ONE_ALONE = `${INSERT_ONE} ON CONFLICT (id) DO NOTHING`;

/** Writes one new task row (edges are the caller's). */
export async function insertTask(tx: TxState, task: Task): Promise<void> {
  await tx.ex.run(INSERT_ONE, rowValues(task));
}

type Value = string | number | null;

/**
 * Bit c set: column c holds the same value in every row of the chunk (`flat` holds `n` rows of
 * COLUMN_COUNT values). The id (column 0) never is.
 */
function sameColumns(flat: readonly Value[], n: number): number {
  let mask = 0;
  for (let c = 1; c < COLUMN_COUNT; c++) {
    const v = flat[c];
    let k = 1;
    while (k < n && flat[k * COLUMN_COUNT + c] === v) k++;
    if (k === n) mask |= 1 << c;
  }
  return mask;
}

const isShared = (mask: number, c: number): boolean => (mask & (1 << c)) !== 0;

/**
 * A multi-row INSERT whose columns in `mask` are bound once for the whole statement (the first
 * parameters, in column order) and the rest per row (after them). Most batches differ only in
 * a few columns (id, title, payload), and binding or sending a value costs about as much as
 * writing it: 3 of 20 values per row for a batch like the benchmark's.
 *
 * SQLite: `INSERT … SELECT ?, column1, … FROM (VALUES (…), …)`, `n` rows (a plain multi-row
 * VALUES when nothing is shared). Measured against `json_each(?)`: ~12 µs a row through
 * json_each, ~4-5 µs through VALUES.
 *
 * PostgreSQL: the rows travel as one JSON text parameter, an array of arrays of the per-row
 * values, expanded by `jsonb_array_elements`: one round trip per chunk. JSON columns travel as
 * JSON text inside the array (a string), so what is stored is what JSON.stringify wrote. jsonb,
 * not json: `->>` on json re-parses the element for every column. WITH ORDINALITY: rows are
 * written in the order given.
 */
function insertManySql(dialect: "sqlite" | "postgres", n: number, mask: number): string {
  const select: string[] = [];
  let perRow = 0;
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const type = PG_TYPES[c]!;
    if (isShared(mask, c)) select.push(dialect === "sqlite" ? "?" : `?::${type}`);
    else if (dialect === "sqlite") select.push(`column${++perRow}`);
    else select.push(type === "text" ? `v ->> ${perRow++}` : `(v ->> ${perRow++})::${type}`);
  }
  const into = `INSERT INTO tasks (${NEW_TASK_COLUMNS})`;
  if (dialect === "postgres")
    return `${into} SELECT ${select.join(", ")} FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY n`;
  if (mask === 0) return insertRows(n);
  const tuple = `(${new Array(perRow).fill("?").join(", ")})`;
  return `${into} SELECT ${select.join(", ")} FROM (VALUES ${new Array(n).fill(tuple).join(", ")})`;
}

/**
 * Statement texts by dialect, size and mask. Bounded, so the backends' statement caches (and
 * PostgreSQL's prepared statements) stay small: a mask not seen before the bound was reached
 * takes the text with nothing shared.
 */
const manySql = new Map<string, string>();
const MANY_SQL_MAX = 64;

function manySqlFor(dialect: "sqlite" | "postgres", n: number, mask: number): { sql: string; mask: number } {
  const key = `${dialect} ${dialect === "sqlite" ? n : 0} ${mask}`;
  let sql = manySql.get(key);
  if (sql === undefined) {
    if (manySql.size >= MANY_SQL_MAX && mask !== 0) return manySqlFor(dialect, n, 0);
    sql = insertManySql(dialect, n, mask);
    manySql.set(key, sql);
  }
  return { sql, mask };
}

/** Writes tasks[from, from + n) in one statement. */
async function insertChunk(tx: TxState, tasks: readonly Task[], from: number, n: number): Promise<void> {
  const dialect = tx.ex.dialect;
  const flat: Value[] = new Array(n * COLUMN_COUNT);
  for (let k = 0; k < n; k++) putRow(tasks[from + k]!, flat, k * COLUMN_COUNT);
  const { sql, mask } = manySqlFor(dialect, n, n >= 40 ? sameColumns(flat, n) : 0);
  if (dialect === "sqlite" && mask === 0) return void (await tx.ex.run(sql, flat));
  const params: Value[] = [];
  for (let c = 0; c < COLUMN_COUNT; c++) if (isShared(mask, c)) params.push(flat[c] ?? null);
  const perRow = (k: number, out: Value[]): Value[] => {
    for (let c = 0; c < COLUMN_COUNT; c++)
      if (!isShared(mask, c)) out.push(flat[k * COLUMN_COUNT + c] ?? null);
    return out;
  };
  if (dialect === "sqlite") for (let k = 0; k < n; k++) perRow(k, params);
  else params.push(JSON.stringify(Array.from({ length: n }, (_, k) => perRow(k, []))));
  await tx.ex.run(sql, params);
}

/**
 * Rows per statement: SQLite's fixed sizes keep its statement texts few (a batch of n rows uses
 * at most n/200 + 4 + 4 + 7 statements); PostgreSQL's chunk bounds one statement's JSON text.
 */
const SQLITE_SIZES = [200, 40, 8, 1] as const;
const PG_CHUNK = 2000;

/** Writes many new task rows, a few statements per batch. */
export async function insertTasks(tx: TxState, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 1) return insertTask(tx, tasks[0]!);
  if (tx.ex.dialect === "postgres") {
    for (let i = 0; i < tasks.length; i += PG_CHUNK)
      await insertChunk(tx, tasks, i, Math.min(PG_CHUNK, tasks.length - i));
    return;
  }
  let i = 0;
  for (const size of SQLITE_SIZES)
    for (; i + size <= tasks.length; i += size) await insertChunk(tx, tasks, i, size);
}
