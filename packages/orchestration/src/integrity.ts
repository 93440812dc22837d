import type { Db } from "./handle.ts";
import { withRead } from "./tx.ts";

export interface DatabaseCheck {
  /** "ok" when SQLite's integrity_check passes (always "ok" on PostgreSQL). */
  integrity: string;
  /**
   * Rows naming a row that does not exist: SQLite's foreign_key_check, and on both backends runs
   * whose task is gone or whose worker_id names no worker, and edges naming a missing task (runs
   * and edges carry no constraint; triggers keep them in step, see schema.ts).
   */
  foreignKeyViolations: number;
  /**
   * Tasks whose pending-dependency counter disagrees with their edges, and tasks with dependents
   * whose dependents_version is 0 (their completion would release nobody).
   */
  dependencyCounterMismatches: number;
  /**
   * Plans whose plan_execution counters (active, completed, failed, blocked, total) or
   * progress_percent disagree with their tasks, and executing, completed or failed plans whose
   * status is not the one their tasks make: completed when all completed, failed when one
   * failed, was cancelled or is upstream_failed, executing otherwise, cancelled when none is left
   * (progress.ts settlePlanStatus). Draft and approved plans (not started) and cancelled ones (an
   * operator's decision) may hold any status. One count, not a field per check: callers compare
   * the whole result with a fixed object, and a new field would break them.
   */
  planCounterMismatches: number;
  /** in_progress tasks without exactly one running run. */
  runMismatches: number;
}

/** Consistency checks over the whole database, for tests and operators. */
export async function checkDatabase(db: Db): Promise<DatabaseCheck> {
  return withRead(db, async (ex) => {
    let integrity = "ok";
    let fk = 0;
    if (ex.dialect === "sqlite") {
      const rows = await ex.all<{ integrity_check: string }>("PRAGMA integrity_check");
      integrity = rows.map((r) => r.integrity_check).join("; ");
      fk = (await ex.all("PRAGMA foreign_key_check")).length;
    }
    const orphans = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM runs r WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = r.task_id)
         OR (r.worker_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = r.worker_id))`,
    );
    const orphanEdges = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM task_dependencies d WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = d.task_id)
         OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = d.depends_on_id)`,
    );
    fk += Number(orphans?.n ?? 0) + Number(orphanEdges?.n ?? 0);
    const deps = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM tasks t WHERE t.status IN ('blocked','queued') AND t.pending_deps <>
         (SELECT count(*) FROM task_dependencies d JOIN tasks u ON u.id = d.depends_on_id WHERE d.task_id = t.id AND u.status <> 'completed')
         + CASE WHEN t.plan_id IS NOT NULL AND (SELECT status FROM execution_plans p WHERE p.id = t.plan_id) IN ('draft','approved') THEN 1 ELSE 0 END`,
    );
    const unflagged = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM tasks u WHERE u.dependents_version = 0
         AND EXISTS (SELECT 1 FROM task_dependencies d WHERE d.depends_on_id = u.id)`,
    );
    // Each plan's counts from its tasks (tasks_plan_idx), compared with every counter, the
    // progress and the status settlePlanStatus would give. CAST: a SQLite row written before
    // progress.ts cast its operand may hold 33.33… (read floored by getPlanExecution: no mismatch).
    const plans = await ex.get<{ mismatched: number | null }>(
      `WITH c AS (
         SELECT pe.plan_id, pe.active_subtasks, pe.completed_subtasks, pe.failed_subtasks, pe.blocked_subtasks,
           pe.total_subtasks, pe.progress_percent, p.status AS plan_status,
           (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id) AS n,
           (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'in_progress') AS active,
           (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'completed') AS done,
           (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'failed') AS failed,
           (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status IN ('upstream_failed','cancelled')) AS blocked
         FROM plan_execution pe LEFT JOIN execution_plans p ON p.id = pe.plan_id
       )
       SELECT
         sum(CASE WHEN completed_subtasks <> done OR active_subtasks <> active OR failed_subtasks <> failed
           OR blocked_subtasks <> blocked OR total_subtasks <> n
           OR CAST(progress_percent AS INTEGER) <> CASE WHEN n = 0 THEN 0 ELSE (done * 100) / n END
           OR (plan_status IN ('executing','completed','failed') AND plan_status <>
             CASE WHEN n = 0 THEN 'cancelled' WHEN done = n THEN 'completed'
               WHEN failed + blocked > 0 THEN 'failed' ELSE 'executing' END)
           THEN 1 ELSE 0 END) AS mismatched
       FROM c`,
    );
    const runs = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM tasks t WHERE t.status = 'in_progress' AND
         (SELECT count(*) FROM runs r WHERE r.task_id = t.id AND r.status = 'running') <> 1`,
    );
    return {
      integrity,
      foreignKeyViolations: fk,
      dependencyCounterMismatches: Number(deps?.n ?? 0) + Number(unflagged?.n ?? 0),
      planCounterMismatches: Number(plans?.mismatched ?? 0),
      runMismatches: Number(runs?.n ?? 0),
    };
  });
}
