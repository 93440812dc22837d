/**
 * The raw baselines' SQL: the statements Hive runs for a claim and a completion, on Hive's own
 * schema, without the library around them (validation, row mapping, events, savepoints). This
 * is the limit of the design: what one process can do with these tables and indexes.
 */

/** Hive's claim (claims.ts), word for word: `tasks_claim_idx` walked in ORDER BY order. */
export const SQLITE_CLAIM = `UPDATE tasks SET status = 'in_progress', assigned_worker = ?, lease_token = lease_token + 1,
    lease_expires_at = ?, attempts = attempts + 1, updated_at = ?, cancel_requested = 0
  WHERE rowid IN (
    SELECT rowid FROM tasks INDEXED BY tasks_claim_idx
    WHERE status = 'queued' AND run_at <= ?
      AND (? IS NULL OR task_type IN (SELECT value FROM json_each(?)))
      AND (required_skills = '[]' OR NOT EXISTS (
        SELECT 1 FROM json_each(tasks.required_skills) s WHERE s.value NOT IN (SELECT value FROM json_each(?))))
    ORDER BY priority DESC, created_at ASC LIMIT ?)
  RETURNING id, payload, attempts, lease_token, current_phase`;

/** Hive's PostgreSQL claim: NULLS LAST to walk the claim index, picked ids looked up by key. */
export const PG_CLAIM = `UPDATE tasks SET status = 'in_progress', assigned_worker = $1, lease_token = lease_token + 1,
    lease_expires_at = $2, attempts = attempts + 1, updated_at = $3, cancel_requested = 0
  WHERE id = ANY(ARRAY(
    SELECT id FROM tasks
    WHERE status = 'queued' AND run_at <= $3
      AND (required_skills = '[]' OR required_skills::jsonb <@ $4::jsonb)
    ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT $5
    FOR UPDATE SKIP LOCKED))
  RETURNING id, payload, attempts, lease_token, current_phase`;

export const WORKER_SEEN = `UPDATE workers SET last_heartbeat = ?, status = 'active' WHERE id = ?`;
export const REGISTER_WORKER = `INSERT INTO workers (id, role, status, last_heartbeat, capabilities, registered_at)
  VALUES (?, 'bench', 'active', ?, '[]', ?)`;
export const INSERT_RUN = `INSERT INTO runs (id, task_id, worker_id, run_number, status, phase, started_at)
  VALUES (?, ?, ?, ?, 'running', ?, ?)`;
export const COMPLETE_TASK = `UPDATE tasks SET status = 'completed', result = ?, completed_at = ?, updated_at = ?,
    lease_expires_at = NULL WHERE id = ? AND status = 'in_progress' AND lease_token = ?`;
export const COMPLETE_RUN = `UPDATE runs SET status = 'completed', completed_at = ?, result_data = ?
  WHERE task_id = ? AND run_number = ?`;
/** Hive's releaseDependents: one indexed probe per completed task (no dependents here). */
export const RELEASE_DEPENDENTS = `UPDATE tasks SET pending_deps = pending_deps - 1,
    status = CASE WHEN pending_deps = 1 AND status = 'blocked' THEN 'queued' ELSE status END, updated_at = ?
  WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on_id = ?) AND pending_deps > 0`;

/** Every column Hive's createTask writes, with the same values for a no-op task. */
export const INSERT_TASK = `INSERT INTO tasks (id, title, description, task_type, priority, status, current_phase,
    workflow, payload, created_at, updated_at, due_date, max_retries, tags, required_skills, run_at,
    idempotency_key, plan_id, subtask_id, pending_deps)
  VALUES (?, ?, NULL, 'bench', 1, 'queued', 'start', NULL, ?, ?, ?, NULL, 3, '[]', '[]', ?, NULL, NULL, NULL, 0)`;

/** `?` placeholders to PostgreSQL's `$n`. */
export function pgText(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

let seq = 0;
/**
 * A time-ordered UUID-shaped id, as Hive's (v7: the time in ms first, then a counter of this
 * process, then random bits), so that the baselines write the same index pages as Hive does. With
 * random (v4) ids each row's primary-key entry lands on a page of its own: the raw batched
 * enqueue measured 68-88k tasks/s on PostgreSQL against Hive's 110k, for that alone.
 */
export function orderedId(): string {
  const t = Date.now().toString(16).padStart(12, "0");
  const c = (seq++ % 0x1000000).toString(16).padStart(6, "0");
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${c.slice(0, 3)}-8${c.slice(3, 6)}-${crypto.randomUUID().slice(24)}`;
}

/** Values of one raw task row: id (time-ordered, as Hive's), title, payload, created_at, updated_at, run_at. */
export function rawTaskValues(i: number, ts: number): [string, string, string, number, number, number] {
  return [orderedId(), `t${i}`, JSON.stringify({ i }), ts, ts, ts];
}

/** PostgreSQL: complete a batch in one statement (ids and tokens as arrays). */
export const PG_COMPLETE_TASKS = `UPDATE tasks t SET status = 'completed', completed_at = $1, updated_at = $1,
    lease_expires_at = NULL
  FROM unnest($2::text[], $3::bigint[]) AS c(id, token)
  WHERE t.id = c.id AND t.status = 'in_progress' AND t.lease_token = c.token`;
export const PG_COMPLETE_RUNS = `UPDATE runs r SET status = 'completed', completed_at = $1
  FROM unnest($2::text[], $3::int[]) AS c(task_id, run_number)
  WHERE r.task_id = c.task_id AND r.run_number = c.run_number`;
export const PG_INSERT_RUNS = `INSERT INTO runs (id, task_id, worker_id, run_number, status, phase, started_at)
  SELECT c.run_id, c.task_id, $1, c.run_number, 'running', c.phase, $2
  FROM unnest($3::text[], $4::int[], $5::text[], $6::text[]) AS c(task_id, run_number, phase, run_id)`;
export const PG_RELEASE_DEPENDENTS = `UPDATE tasks SET pending_deps = pending_deps - 1,
    status = CASE WHEN pending_deps = 1 AND status = 'blocked' THEN 'queued' ELSE status END, updated_at = $1
  WHERE id IN (SELECT task_id FROM task_dependencies WHERE depends_on_id = ANY($2::text[])) AND pending_deps > 0`;
/** Multi-row insert of raw tasks from arrays (ids, titles, payloads), one statement per batch. */
export const PG_INSERT_TASKS = `INSERT INTO tasks (id, title, task_type, priority, status, current_phase, payload,
    created_at, updated_at, max_retries, tags, required_skills, run_at, pending_deps)
  SELECT c.id, c.title, 'bench', 1, 'queued', 'start', c.payload, $1, $1, 3, '[]', '[]', $1, 0
  FROM unnest($2::text[], $3::text[], $4::text[]) AS c(id, title, payload)`;

// Hive's set-based statements (claims.ts, dependencies.ts), word for word, the batch bound as
// one JSON parameter: what the batched raw baseline runs per claim and per group commit.

/** Run rows of a claimed batch: `[{ run, id, phase }]`; run number = the task's next. */
export const SQLITE_INSERT_RUNS = `INSERT INTO runs (id, task_id, worker_id, run_number, status, phase, started_at)
    SELECT j.run, j.id, ?, COALESCE((SELECT MAX(r.run_number) FROM runs r WHERE r.task_id = j.id), 0) + 1,
      'running', j.phase, ?
    FROM (SELECT value ->> 'run' AS run, value ->> 'id' AS id, value ->> 'phase' AS phase FROM json_each(?)) AS j`;
/** Guarded completion of `[{ id, token, result, log }]`; returns the ids completed. */
export const SQLITE_COMPLETE_TASKS = `UPDATE tasks SET status = 'completed', result = j.result, completed_at = ?, updated_at = ?,
    lease_expires_at = NULL
  FROM (SELECT value ->> 'id' AS id, value ->> 'token' AS token, value ->> 'result' AS result FROM json_each(?)) AS j
  WHERE tasks.id = j.id AND +tasks.status = 'in_progress' AND tasks.lease_token = j.token
  RETURNING id`;
export const SQLITE_COMPLETE_RUNS = `UPDATE runs SET status = 'completed', completed_at = ?, result_data = j.result,
    output_log = COALESCE(j.log, runs.output_log)
  FROM (SELECT value ->> 'id' AS id, value ->> 'result' AS result, value ->> 'log' AS log FROM json_each(?)) AS j
  WHERE runs.task_id = j.id AND runs.run_number = (SELECT MAX(r.run_number) FROM runs r WHERE r.task_id = j.id)`;
export const SQLITE_CLEAR_CURRENT_TASK = `UPDATE workers SET current_task_id = NULL
  WHERE current_task_id IN (SELECT value FROM json_each(?))`;
export const SQLITE_RELEASE_DEPENDENTS = `UPDATE tasks SET pending_deps = MAX(pending_deps - d.n, 0),
    status = CASE WHEN pending_deps <= d.n AND status = 'blocked' THEN 'queued' ELSE status END, updated_at = ?
  FROM (SELECT dep.task_id, count(*) AS n FROM task_dependencies dep
        WHERE dep.depends_on_id IN (SELECT value FROM json_each(?)) GROUP BY dep.task_id) AS d
  WHERE tasks.id = d.task_id AND tasks.pending_deps > 0`;

/**
 * The rows of PG_INSERT_TASKS made by the server itself (`generate_series`: titles and payloads
 * of the same shape, ids of the same length in the same order as Hive's time-ordered ones: $4,
 * a 24-character prefix, then the index), so no client builds, sends or parses anything: what
 * PostgreSQL alone takes to write tasks into this schema's table and indexes. No client's batch
 * enqueue, through INSERT or COPY, can beat it on the same server. (With gen_random_uuid() ids
 * it measured half of Hive's figure: random keys write a primary-key page per row.)
 */
export const PG_INSERT_TASKS_SERVER = `INSERT INTO tasks (id, title, task_type, priority, status, current_phase, payload,
    created_at, updated_at, max_retries, tags, required_skills, run_at, pending_deps)
  SELECT $4 || lpad(i::text, 12, '0'), 't' || i, 'bench', 1, 'queued', 'start', '{"i":' || i || '}', $1, $1, 3, '[]', '[]', $1, 0
  FROM generate_series($2::int, $3::int) AS i`;
