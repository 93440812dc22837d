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
  /** Plans whose plan_execution counters disagree with their tasks. */
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
    const plans = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM plan_execution pe WHERE
         pe.completed_subtasks <> (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'completed')
         OR pe.active_subtasks <> (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'in_progress')
         OR pe.failed_subtasks <> (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id AND t.status = 'failed')
         OR pe.total_subtasks <> (SELECT count(*) FROM tasks t WHERE t.plan_id = pe.plan_id)`,
    );
    const runs = await ex.get<{ n: number }>(
      `SELECT count(*) AS n FROM tasks t WHERE t.status = 'in_progress' AND
         (SELECT count(*) FROM runs r WHERE r.task_id = t.id AND r.status = 'running') <> 1`,
    );
    return {
      integrity,
      foreignKeyViolations: fk,
      dependencyCounterMismatches: Number(deps?.n ?? 0) + Number(unflagged?.n ?? 0),
      planCounterMismatches: Number(plans?.n ?? 0),
      runMismatches: Number(runs?.n ?? 0),
    };
  });
}
