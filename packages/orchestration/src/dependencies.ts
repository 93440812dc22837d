import { now } from "./clock.ts";
import type { TxState } from "./handle.ts";
import { applyPlanTransitions, type Transition } from "./progress.ts";
import { jsonIds, jsonRows } from "./sql.ts";

/**
 * Tasks completed: each dependent's count of unfinished dependencies drops by the number of them
 * it waits on, and those reaching zero become queued. One statement for the whole batch, using
 * the depends_on index: cost proportional to the dependents.
 */
export async function releaseDependents(tx: TxState, taskIds: string | readonly string[]): Promise<void> {
  const ids = typeof taskIds === "string" ? [taskIds] : taskIds;
  if (ids.length === 0) return;
  const sqlite = tx.ex.dialect === "sqlite";
  const released = await tx.ex.all<{ id: string; status: string }>(
    `UPDATE tasks SET pending_deps = ${sqlite ? "MAX" : "GREATEST"}(pending_deps - d.n, 0),
       status = CASE WHEN pending_deps <= d.n AND status = 'blocked' THEN 'queued' ELSE status END,
       updated_at = ?
     FROM (SELECT dep.task_id, count(*) AS n FROM task_dependencies dep
           WHERE dep.depends_on_id IN (SELECT id FROM ${jsonIds(tx.ex.dialect)}) GROUP BY dep.task_id) AS d
     WHERE tasks.id = d.task_id AND tasks.pending_deps > 0
     RETURNING tasks.id, tasks.status`,
    [now(), JSON.stringify(ids)],
  );
  for (const r of released) if (r.status === "queued") tx.events.push({ type: "task.queued", taskId: r.id });
}

/**
 * `down(id)`: the tasks below the task bound to its `?`, through the edges, each step an index
 * lookup per task found (`task_deps_depends_on_idx`, then the task by key): cost proportional
 * to the tasks reached. `blockedOnly`: only through tasks still blocked. Written as a plain join,
 * both planners did each step as a scan: SQLite walked every blocked task per step, PostgreSQL
 * hash-joined every edge with every blocked task, so failing the root of an 8,000-task chain
 * took 16 s (10 s), of a 100,000-task one hours. The join order is forced: SQLite's CROSS JOIN,
 * PostgreSQL's LATERAL, kept a subquery by OFFSET 0 (pulled up, it became a merge join that
 * sorted every edge for each step), and a scalar subquery for the status (never a join).
 */
function descendants(dialect: "sqlite" | "postgres", blockedOnly: boolean): string {
  if (dialect === "sqlite") {
    const blocked = blockedOnly ? " CROSS JOIN tasks t ON t.id = d.task_id WHERE t.status = 'blocked'" : "";
    return `down(id) AS (
       SELECT d.task_id FROM task_dependencies d${blocked}${blocked ? " AND" : " WHERE"} d.depends_on_id = ?
       UNION SELECT d.task_id FROM down CROSS JOIN task_dependencies d ON d.depends_on_id = down.id${blocked}
     )`;
  }
  const blocked = blockedOnly ? " AND (SELECT t.status FROM tasks t WHERE t.id = d.task_id) = 'blocked'" : "";
  return `down(id) AS (
       SELECT d.task_id FROM task_dependencies d WHERE d.depends_on_id = ?${blocked}
       UNION SELECT x.task_id FROM down CROSS JOIN LATERAL (
         SELECT d.task_id FROM task_dependencies d WHERE d.depends_on_id = down.id${blocked} OFFSET 0) x
     )`;
}

/**
 * A task failed for good or was cancelled: every task that still waits on it, directly or
 * through other waiting tasks, becomes upstream_failed (plan policy "block", the default) or
 * cancelled (policy "cancel").
 */
export async function blockDescendants(tx: TxState, taskId: string, reason: string): Promise<void> {
  const policyRow = await tx.ex.get<{ policy: string | null }>(
    `SELECT ${tx.ex.dialect === "sqlite" ? "json_extract(p.plan_data, '$.on_failure')" : "(p.plan_data::jsonb ->> 'on_failure')"} AS policy
     FROM tasks t JOIN execution_plans p ON p.id = t.plan_id WHERE t.id = ?`,
    [taskId],
  );
  const status = policyRow?.policy === "cancel" ? "cancelled" : "upstream_failed";
  // The walk goes through blocked tasks only. A dependent that completed (the failed task ran
  // before, was requeued, and failed this time) no longer waits on it, nor does anything below
  // it: walking through it failed a grandchild whose own dependency had completed. A queued or
  // running dependent has every dependency met, so it is not waiting on the failed task either.
  const rows = await tx.ex.all<{ id: string; plan_id: string | null }>(
    `WITH RECURSIVE ${descendants(tx.ex.dialect, true)}
     UPDATE tasks SET status = ?, last_error = ?, updated_at = ?
     WHERE id IN (SELECT id FROM down)
     RETURNING id, plan_id`,
    [taskId, status, `upstream: ${reason}`, now()],
  );
  const transitions: Transition[] = rows.map((r) => ({
    planId: r.plan_id,
    from: "blocked",
    to: status,
    taskId: r.id,
  }));
  for (const r of rows)
    tx.events.push(
      status === "cancelled"
        ? { type: "task.cancelled", taskId: r.id, planId: r.plan_id }
        : { type: "task.upstream_failed", taskId: r.id, planId: r.plan_id },
    );
  await applyPlanTransitions(tx, transitions);
}

/**
 * 1 for a task (`t`) of a plan not started yet (draft, approved), else 0: the extra pending
 * count (the "gate") that markPlanExecutionStarted removes. Whatever recomputes a task's
 * pending count from its edges adds it, or the task could run before its plan starts.
 */
export const PLAN_GATE_SQL = `CASE WHEN t.plan_id IS NOT NULL AND (SELECT p.status FROM execution_plans p
  WHERE p.id = t.plan_id) IN ('draft', 'approved') THEN 1 ELSE 0 END`;

/** Statuses a dependency never leaves by itself: a task waiting on one can never run. */
export const DEAD_STATUSES = ["failed", "cancelled", "upstream_failed"] as const;
const isDead = (status: string) => (DEAD_STATUSES as readonly string[]).includes(status);

/**
 * A task was requeued by an operator: its descendants that were failed because of it go back
 * to blocked (or queued), with their count of unfinished dependencies recomputed. A descendant
 * that also waits on another dependency that is still dead (failed, cancelled, upstream_failed,
 * and not revived here) stays as it is: revived, it would wait forever.
 */
export async function unblockDescendants(tx: TxState, taskId: string): Promise<void> {
  const rows = await tx.ex.all<{ id: string; plan_id: string | null; status: string; gate: number }>(
    `WITH RECURSIVE ${descendants(tx.ex.dialect, false)}
     SELECT t.id, t.plan_id, t.status, ${PLAN_GATE_SQL} AS gate FROM tasks t JOIN down ON down.id = t.id
     WHERE t.status IN ('upstream_failed', 'cancelled') AND t.last_error LIKE 'upstream:%'`,
    [taskId],
  );
  if (rows.length === 0) return;
  const deps = await tx.ex.all<{ task_id: string; dep: string; status: string }>(
    `SELECT d.task_id, d.depends_on_id AS dep, t.status FROM task_dependencies d
     JOIN tasks t ON t.id = d.depends_on_id WHERE d.task_id IN (SELECT id FROM ${jsonIds(tx.ex.dialect)})`,
    [JSON.stringify(rows.map((r) => r.id))],
  );
  // Revived: every candidate, minus those with a dead dependency that is not itself revived,
  // and then their dependents among the candidates (a candidate is dead until revived): one walk
  // over the edges, not a pass over them per task removed (quadratic down a long chain).
  const revived = new Set(rows.map((r) => r.id));
  const dependents = new Map<string, string[]>();
  const removed: string[] = [];
  for (const d of deps) {
    if (revived.has(d.dep)) {
      const list = dependents.get(d.dep);
      if (list) list.push(d.task_id);
      else dependents.set(d.dep, [d.task_id]);
    } else if (isDead(d.status) && revived.delete(d.task_id)) removed.push(d.task_id);
  }
  for (let id = removed.pop(); id !== undefined; id = removed.pop())
    for (const y of dependents.get(id) ?? []) if (revived.delete(y)) removed.push(y);
  const pending = new Map<string, number>();
  for (const d of deps)
    if (d.status !== "completed") pending.set(d.task_id, (pending.get(d.task_id) ?? 0) + 1);
  const transitions: Transition[] = [];
  const updates: { id: string; status: string; n: number }[] = [];
  for (const r of rows) {
    if (!revived.has(r.id)) continue;
    const n = (pending.get(r.id) ?? 0) + Number(r.gate);
    const to = n === 0 ? "queued" : "blocked";
    updates.push({ id: r.id, status: to, n });
    if (to === "queued") tx.events.push({ type: "task.queued", taskId: r.id });
    transitions.push({ planId: r.plan_id, from: r.status, to, taskId: r.id });
  }
  // One statement for all of them (a statement per task was 6.5 s for 8,000 on PostgreSQL).
  if (updates.length > 0)
    await tx.ex.run(
      `UPDATE tasks SET status = j.status, pending_deps = CAST(j.n AS INTEGER), last_error = NULL, updated_at = ?
       FROM ${jsonRows(tx.ex.dialect, { id: "text", status: "text", n: "bigint" })} WHERE tasks.id = j.id`,
      [now(), JSON.stringify(updates)],
    );
  await applyPlanTransitions(tx, transitions);
}

/**
 * A completed task was requeued: it is unfinished again, so each dependent that has not started
 * (blocked or queued) waits for it once more (its count goes up; a queued one becomes blocked).
 * Dependents that already ran are left as they are.
 */
export async function reblockDependents(tx: TxState, taskId: string): Promise<void> {
  const rows = await tx.ex.all<{ id: string; plan_id: string | null; old: string }>(
    `UPDATE tasks SET pending_deps = pending_deps + d.n, status = 'blocked', updated_at = ?
     FROM (SELECT task_id, count(*) AS n FROM task_dependencies WHERE depends_on_id = ? GROUP BY task_id) AS d
     WHERE tasks.id = d.task_id AND tasks.status IN ('blocked', 'queued')
     RETURNING tasks.id, tasks.plan_id, 'blocked' AS old`,
    [now(), taskId],
  );
  await applyPlanTransitions(
    tx,
    rows.map((r) => ({ planId: r.plan_id, from: "queued", to: "blocked", taskId: r.id })),
  );
}
