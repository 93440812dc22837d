/**
 * Writing new task rows. A task just created is built in JS from its validated input (the row we
 * write is exactly what we know), so nothing is read back and nothing is re-validated. Batches
 * go in as multi-row statements: on SQLite multi-row VALUES, on PostgreSQL one JSON text
 * parameter per chunk expanded by `jsonb_array_elements` (one round trip per 2,000 tasks).
 */
import type { CreateTaskInputSchema, Task, TaskStatus } from "@hive/models";
import type { z } from "zod";
import type { TxState } from "./handle.ts";

export type ParsedCreate = z.output<typeof CreateTaskInputSchema>;

/** What a new task's row needs beyond its input. */
export interface NewTaskFields {
  id: string;
  status: TaskStatus;
  pendingDeps: number;
  planId?: string | null;
  subtaskId?: string | null;
  ts: number;
}

/**
 * The Task as `taskFromRow` will read it back once written: defaults for the columns a new row
 * does not set. `t` may come from outside zod (plans), hence the `?? null` on optional fields.
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
    planId: f.planId ?? null,
    subtaskId: f.subtaskId ?? null,
    pendingDependencies: f.pendingDeps,
    cancelRequested: false,
    result: null,
    lastError: null,
    completedAt: null,
  };
}

/** Most tasks have no tags or skills: no stringify for them. */
const listJson = (a: readonly string[]): string => (a.length === 0 ? "[]" : JSON.stringify(a));
const objJson = (v: object | null): string | null => (v === null ? null : JSON.stringify(v));

const COLUMNS = `id, title, description, task_type, priority, status, current_phase, workflow, payload,
  created_at, updated_at, due_date, max_retries, tags, required_skills, run_at, idempotency_key, plan_id,
  subtask_id, pending_deps`;

const INSERT_ONE = `INSERT INTO tasks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The 20 column values of a task's row, in COLUMNS order. */
function rowValues(task: Task): (string | number | null)[] {
  return [
    task.id,
    task.title,
    task.description,
    task.taskType,
    task.priority,
    task.status,
    task.currentPhase,
    objJson(task.workflow),
    objJson(task.payload),
    task.createdAt,
    task.updatedAt,
    task.dueDate,
    task.maxRetries,
    listJson(task.tags),
    listJson(task.requiredSkills),
    task.runAt,
    task.idempotencyKey,
    task.planId,
    task.subtaskId,
    task.pendingDependencies,
  ];
}

/** Writes one new task row (edges are the caller's). */
export async function insertTask(tx: TxState, task: Task): Promise<void> {
  await tx.ex.run(INSERT_ONE, rowValues(task));
}

// SQLite: multi-row VALUES, bound parameters. Measured against `INSERT … SELECT … FROM
// json_each(?)`: the statement itself ran at ~12 µs a row through json_each and ~4-5 µs through
// VALUES (in memory, 1,000-row batches); building the parameters costs about the same as the
// JSON text. Statement sizes are a fixed set so the backend's statement cache stays small
// (a batch of n rows uses at most n/200 + 4 + 4 + 7 statements).
const SQLITE_SIZES = [200, 40, 8, 1] as const;
const ROW = `(${new Array(20).fill("?").join(", ")})`;
const SQLITE_INSERT_N = new Map(
  SQLITE_SIZES.map((n) => [n, `INSERT INTO tasks (${COLUMNS}) VALUES ${new Array(n).fill(ROW).join(", ")}`]),
);

async function insertTasksSqlite(tx: TxState, tasks: readonly Task[]): Promise<void> {
  let i = 0;
  for (const size of SQLITE_SIZES) {
    const sql = SQLITE_INSERT_N.get(size)!;
    for (; i + size <= tasks.length; i += size) {
      const params: (string | number | null)[] = new Array(size * 20);
      let p = 0;
      for (let k = i; k < i + size; k++) {
        const task = tasks[k]!;
        params[p++] = task.id;
        params[p++] = task.title;
        params[p++] = task.description;
        params[p++] = task.taskType;
        params[p++] = task.priority;
        params[p++] = task.status;
        params[p++] = task.currentPhase;
        params[p++] = objJson(task.workflow);
        params[p++] = objJson(task.payload);
        params[p++] = task.createdAt;
        params[p++] = task.updatedAt;
        params[p++] = task.dueDate;
        params[p++] = task.maxRetries;
        params[p++] = listJson(task.tags);
        params[p++] = listJson(task.requiredSkills);
        params[p++] = task.runAt;
        params[p++] = task.idempotencyKey;
        params[p++] = task.planId;
        params[p++] = task.subtaskId;
        params[p++] = task.pendingDependencies;
      }
      await tx.ex.run(sql, params);
    }
  }
}

// PostgreSQL: one round trip per chunk; the rows travel as one JSON text parameter, an array of
// [id, title, description, task_type, priority, status, current_phase, workflow, payload,
// created_at (= updated_at), due_date, max_retries, tags, required_skills, run_at,
// idempotency_key, plan_id, subtask_id, pending_deps]. JSON columns travel as JSON text inside
// the array (a string), so what is stored is what JSON.stringify wrote, as on the single-row
// path. jsonb, not json: `->>` on json re-parses the element for every column. WITH ORDINALITY:
// rows are written in the order given.
const PG_INSERT_MANY = `INSERT INTO tasks (${COLUMNS})
  SELECT v ->> 0, v ->> 1, v ->> 2, v ->> 3, (v ->> 4)::integer, v ->> 5, v ->> 6, v ->> 7, v ->> 8,
    (v ->> 9)::bigint, (v ->> 9)::bigint, (v ->> 10)::bigint, (v ->> 11)::integer, v ->> 12, v ->> 13,
    (v ->> 14)::bigint, v ->> 15, v ->> 16, v ->> 17, (v ->> 18)::integer
  FROM jsonb_array_elements(?::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY n`;

/** Rows per PostgreSQL statement: bounds the JSON text (and the memory) of one statement. */
const PG_CHUNK = 2000;

async function insertTasksPg(tx: TxState, tasks: readonly Task[]): Promise<void> {
  for (let i = 0; i < tasks.length; i += PG_CHUNK) {
    const end = Math.min(tasks.length, i + PG_CHUNK);
    const rows: unknown[] = new Array(end - i);
    for (let k = i; k < end; k++) {
      const task = tasks[k]!;
      rows[k - i] = [
        task.id,
        task.title,
        task.description,
        task.taskType,
        task.priority,
        task.status,
        task.currentPhase,
        objJson(task.workflow),
        objJson(task.payload),
        task.createdAt,
        task.dueDate,
        task.maxRetries,
        listJson(task.tags),
        listJson(task.requiredSkills),
        task.runAt,
        task.idempotencyKey,
        task.planId,
        task.subtaskId,
        task.pendingDependencies,
      ];
    }
    await tx.ex.run(PG_INSERT_MANY, [JSON.stringify(rows)]);
  }
}

/** Writes many new task rows (their created_at = updated_at), a few statements per batch. */
export async function insertTasks(tx: TxState, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 1) return insertTask(tx, tasks[0]!);
  return tx.ex.dialect === "postgres" ? insertTasksPg(tx, tasks) : insertTasksSqlite(tx, tasks);
}
