import { now } from "./clock.ts";
import type { TxState } from "./handle.ts";
import { applyPlanTransitions, type Transition } from "./progress.ts";
import { jsonIds } from "./sql.ts";

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
 * A task failed for good or was cancelled: every task downstream of it that has not started
 * becomes upstream_failed (plan policy "block", the default) or cancelled (policy "cancel").
 */
export async function blockDescendants(tx: TxState, taskId: string, reason: string): Promise<void> {
  const policyRow = await tx.ex.get<{ policy: string | null }>(
    `SELECT ${tx.ex.dialect === "sqlite" ? "json_extract(p.plan_data, '$.on_failure')" : "(p.plan_data::jsonb ->> 'on_failure')"} AS policy
     FROM tasks t JOIN execution_plans p ON p.id = t.plan_id WHERE t.id = ?`,
    [taskId],
  );
  const status = policyRow?.policy === "cancel" ? "cancelled" : "upstream_failed";
  const rows = await tx.ex.all<{ id: string; plan_id: string | null; old_status: string }>(
    `WITH RECURSIVE down(id) AS (
       SELECT task_id FROM task_dependencies WHERE depends_on_id = ?
       UNION SELECT d.task_id FROM task_dependencies d JOIN down ON d.depends_on_id = down.id
     ), targets AS (
       SELECT t.id, t.status AS old_status FROM tasks t JOIN down ON down.id = t.id WHERE t.status IN ('blocked', 'queued')
     )
     UPDATE tasks SET status = ?, last_error = ?, updated_at = ?
     WHERE id IN (SELECT id FROM targets)
     RETURNING id, plan_id, 'blocked' AS old_status`,
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
 * A task was requeued by an operator: its descendants that were failed because of it go back
 * to blocked, with their count of unfinished dependencies recomputed.
 */
export async function unblockDescendants(tx: TxState, taskId: string): Promise<void> {
  const rows = await tx.ex.all<{ id: string; plan_id: string | null; status: string }>(
    `WITH RECURSIVE down(id) AS (
       SELECT task_id FROM task_dependencies WHERE depends_on_id = ?
       UNION SELECT d.task_id FROM task_dependencies d JOIN down ON d.depends_on_id = down.id
     )
     SELECT t.id, t.plan_id, t.status FROM tasks t JOIN down ON down.id = t.id
     WHERE t.status IN ('upstream_failed', 'cancelled') AND t.last_error LIKE 'upstream:%'`,
    [taskId],
  );
  const transitions: Transition[] = [];
  for (const r of rows) {
    const pending = await tx.ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM task_dependencies d JOIN tasks t ON t.id = d.depends_on_id
       WHERE d.task_id = ? AND t.status <> 'completed'`,
      [r.id],
    );
    const n = Number(pending?.n ?? 0);
    const to = n === 0 ? "queued" : "blocked";
    await tx.ex.run(
      "UPDATE tasks SET status = ?, pending_deps = ?, last_error = NULL, updated_at = ? WHERE id = ?",
      [to, n, now(), r.id],
    );
    transitions.push({ planId: r.plan_id, from: r.status, to, taskId: r.id });
  }
  await applyPlanTransitions(tx, transitions);
}
