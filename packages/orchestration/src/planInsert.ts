import type { SubTask } from "@hive/models";
import type { SqlExecutor } from "./sql.ts";
import { NEW_TASK_COLUMNS } from "./taskInsert.ts";

/**
 * Multi-row writes of a plan's tasks and edges. Each chunk of rows travels as one JSON array
 * parameter and is expanded by the database (SQLite json_each, PostgreSQL
 * json_array_elements): one statement per chunk, whatever its size, so PostgreSQL pays one
 * round trip per chunk instead of one per row (10,000 tasks + 29,700 edges were 39,700 round
 * trips), and SQLite prepares one statement text (its statement cache never grows with
 * plan sizes, as multi-row VALUES of varying lengths would make it).
 */

/** Task id of a subtask: stable, so creating a plan's tasks twice is detectable. */
export const subtaskTaskId = (planId: string, subtaskId: string): string => `${planId}:${subtaskId}`;

/**
 * Tasks, other than the plan's own, that already hold the id one of these subtasks would get,
 * as [subtask id, task id]: a plain task created with a caller-given id like `q:a`, or a task of
 * a plan stored before plan ids were refused ':'. One range scan of the primary key over the
 * plan's id prefix (both backends compare ids bytewise: SQLite BINARY, PostgreSQL COLLATE "C"),
 * so a plan of 100k subtasks costs one index probe, not 100k lookups; what it finds (normally
 * nothing) is matched against the subtasks here.
 */
export async function takenTaskIds(
  ex: SqlExecutor,
  planId: string,
  subTasks: readonly SubTask[],
): Promise<[string, string][]> {
  const prefix = subtaskTaskId(planId, "");
  // The first string after every one that starts with `<planId>:` (';' follows ':').
  const end = `${planId};`;
  const rows = await ex.all<{ id: string }>(
    "SELECT id FROM tasks WHERE id >= ? AND id < ? AND (plan_id IS NULL OR plan_id <> ?) ORDER BY id",
    [prefix, end, planId],
  );
  if (rows.length === 0) return [];
  const subtaskIds = new Set(subTasks.map((st) => st.id));
  const taken: [string, string][] = [];
  for (const r of rows) {
    const subtaskId = r.id.slice(prefix.length);
    if (subtaskIds.has(subtaskId)) taken.push([subtaskId, r.id]);
  }
  return taken;
}

/** Rows per task chunk; a task row is a few hundred bytes of JSON. */
export const TASK_CHUNK = 1000;
/** Rows per edge chunk; an edge row is two subtask ids. */
export const EDGE_CHUNK = 5000;

/**
 * One task row, in the order the SQL below reads it: title, description, task_type, priority,
 * status, current_phase, payload, max_retries, required_skills, subtask_id, pending_deps,
 * dependents_version.
 * Columns equal for the whole plan (timestamps, tags, plan_id) are parameters, and the task id
 * is the plan's id prefix (a parameter) joined to subtask_id, so the plan id is not repeated in
 * every row (the same for edges).
 */
type TaskRow = [
  string,
  string | null,
  string,
  number,
  string,
  string,
  string,
  number,
  string,
  string,
  number,
  number,
];

// Parameters: id prefix, created_at, updated_at, tags, run_at, plan_id, then the chunk's JSON.
const INSERT_TASKS = {
  // json_each walks the array in order (an ORDER BY key would only add a sort), so rowids, and
  // with them ties in claim order, follow the plan.
  sqlite: `INSERT INTO tasks (${NEW_TASK_COLUMNS}, dependents_version)
    SELECT ? || (value ->> 9), value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
      NULL, value ->> 6, ?, ?, NULL, value ->> 7, ?, value ->> 8, ?, NULL, ?, value ->> 9, value ->> 10, value ->> 11
    FROM json_each(?)`,
  postgres: `INSERT INTO tasks (${NEW_TASK_COLUMNS}, dependents_version)
    SELECT CAST(? AS text) || (r ->> 9), r ->> 0, r ->> 1, r ->> 2, (r ->> 3)::integer, r ->> 4, r ->> 5,
      NULL, r ->> 6, CAST(? AS BIGINT), CAST(? AS BIGINT), NULL, (r ->> 7)::integer, ?, r ->> 8,
      CAST(? AS BIGINT), NULL, ?, r ->> 9, (r ->> 10)::integer, (r ->> 11)::integer
    FROM jsonb_array_elements(CAST(? AS jsonb)) WITH ORDINALITY AS e(r, n) ORDER BY n`,
} as const;

// Parameters: id prefix twice, then the chunk's JSON of [subtask id, dependency's subtask id].
const INSERT_EDGES = {
  sqlite: `INSERT INTO task_dependencies (task_id, depends_on_id)
    SELECT ? || (value ->> 0), ? || (value ->> 1) FROM json_each(?)`,
  postgres: `INSERT INTO task_dependencies (task_id, depends_on_id)
    SELECT CAST(? AS text) || (r ->> 0), CAST(? AS text) || (r ->> 1)
    FROM jsonb_array_elements(CAST(? AS jsonb)) AS e(r)`,
} as const;

/**
 * JSON text of a chunk, read by the database so that each string ends up stored as a bound
 * parameter would store it (createTask, or the row-by-row insert before). JSON.stringify writes
 * a lone UTF-16 surrogate (a string cut inside an emoji, say) as a `\udXXX` escape: SQLite's
 * JSON decodes it to the same bytes as better-sqlite3 binds, but PostgreSQL rejects it, where
 * a bound string would have been encoded as U+FFFD; so on PostgreSQL it becomes U+FFFD here.
 */
function chunkJson(dialect: SqlExecutor["dialect"], rows: unknown[]): string {
  const json = JSON.stringify(rows);
  if (dialect === "sqlite" || !json.includes("\\ud")) return json;
  // A `\u` escape only when preceded by an even number of backslashes (`\\` is a backslash).
  return json.replace(/(?<!\\)((?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi, "$1\\ufffd");
}

/**
 * The task a subtask becomes; the same fields createTask would write for it. `gate` is the
 * extra pending count of a plan not executing yet (see insertSubtasks).
 */
function taskRow(st: SubTask, gate: number, hasDependents: boolean): TaskRow {
  const pending = st.dependencies.length + gate;
  return [
    st.title,
    st.description ?? null,
    st.task_type,
    st.priority,
    pending > 0 ? "blocked" : "queued",
    st.workflow_phase,
    JSON.stringify({
      ...(st.payload ?? {}),
      subtask: {
        deliverables: st.deliverables,
        estimated_duration: st.estimated_duration,
        complexity: st.complexity,
        assignee: st.assignee,
      },
    }),
    st.max_retries ?? 3,
    JSON.stringify(st.required_skills),
    st.id,
    pending,
    hasDependents ? 1 : 0,
  ];
}

/**
 * Writes one task per subtask (in plan order, so ties in claim order follow the plan) and
 * then one edge per dependency, in the caller's transaction. The subtasks must form a checked
 * graph (checkPlanGraph): edges are written after every task, so a dependency listed later in
 * the plan than its dependent is fine.
 */
export async function insertPlanTasks(
  ex: SqlExecutor,
  planId: string,
  subTasks: readonly SubTask[],
  opts: { gate: number; ts: number },
): Promise<void> {
  const prefix = subtaskTaskId(planId, "");
  const tags = JSON.stringify([`plan:${planId}`]);
  const insertTasks = INSERT_TASKS[ex.dialect];
  const dependedOn = new Set<string>();
  for (const st of subTasks) for (const dep of st.dependencies) dependedOn.add(dep);
  for (let i = 0; i < subTasks.length; i += TASK_CHUNK) {
    const rows: TaskRow[] = [];
    for (const st of subTasks.slice(i, i + TASK_CHUNK))
      rows.push(taskRow(st, opts.gate, dependedOn.has(st.id)));
    const json = chunkJson(ex.dialect, rows);
    await ex.run(insertTasks, [prefix, opts.ts, opts.ts, tags, opts.ts, planId, json]);
  }
  const insertEdges = INSERT_EDGES[ex.dialect];
  let edges: [string, string][] = [];
  for (const st of subTasks)
    for (const dep of st.dependencies) {
      edges.push([st.id, dep]);
      if (edges.length === EDGE_CHUNK) {
        await ex.run(insertEdges, [prefix, prefix, chunkJson(ex.dialect, edges)]);
        edges = [];
      }
    }
  if (edges.length > 0) await ex.run(insertEdges, [prefix, prefix, chunkJson(ex.dialect, edges)]);
}
