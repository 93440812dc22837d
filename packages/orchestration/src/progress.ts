import type { TaskStatus } from "@hive/models";
import { now } from "./clock.ts";
import type { TxState } from "./handle.ts";

type Bucket = "active" | "completed" | "failed" | "blocked";

/** Which plan_execution counter a task status counts in (null: still pending). */
function bucketOf(status: string): Bucket | null {
  switch (status as TaskStatus) {
    case "in_progress":
      return "active";
    case "completed":
      return "completed";
    case "failed":
      return "failed";
    case "upstream_failed":
    case "cancelled":
      return "blocked";
    default:
      return null;
  }
}

/**
 * Reads one plan's status through the covering index (id, status): on SQLite the row stores
 * plan_data before status, and reading status from the row walks plan_data's overflow pages
 * (75 ms for a 100k-node plan; microseconds through the index). PostgreSQL keeps plan_data
 * out of line (TOAST), so a plain read is as cheap there.
 */
export function planStatusSql(dialect: "sqlite" | "postgres"): string {
  return dialect === "sqlite"
    ? "SELECT status FROM execution_plans INDEXED BY execution_plans_id_status_idx WHERE id = ?"
    : "SELECT status FROM execution_plans WHERE id = ?";
}

/**
 * The `to` of a Transition for a task that was deleted (deleteTask): it leaves its counter and
 * the plan's total, and the plan is settled again on what remains.
 */
export const DELETED = "deleted";

export interface Transition {
  planId: string | null;
  from: string;
  /** The task's new status, or DELETED. */
  to: string;
  taskId: string;
  phase?: string;
}

/**
 * Applies task state changes to their plans' counters and statuses in the caller's transaction.
 * O(1) per plan touched: plan_execution keeps counters, and the subtask lists are derived from
 * the tasks table when read, so a 100k-node plan does not rewrite a 100k-entry list per change.
 */
export async function applyPlanTransitions(tx: TxState, transitions: readonly Transition[]): Promise<void> {
  const perPlan = new Map<string, { d: Record<Bucket, number>; phase?: string; failedTaskId?: string }>();
  const deleted: Transition[] = [];
  for (const t of transitions) {
    if (t.planId === null || t.from === t.to) continue;
    if (t.to === DELETED) {
      deleted.push(t);
      continue;
    }
    let p = perPlan.get(t.planId);
    if (!p) {
      p = { d: { active: 0, completed: 0, failed: 0, blocked: 0 } };
      perPlan.set(t.planId, p);
    }
    const from = bucketOf(t.from);
    const to = bucketOf(t.to);
    if (from) p.d[from]--;
    if (to) p.d[to]++;
    if (t.phase) p.phase = t.phase;
    if ((t.to === "failed" || t.to === "cancelled") && !p.failedTaskId) p.failedTaskId = t.taskId;
  }
  const ts = now();
  for (const [planId, { d, phase, failedTaskId }] of perPlan) {
    const row = await tx.ex.get<{
      total_subtasks: number;
      completed_subtasks: number;
      failed_subtasks: number;
      blocked_subtasks: number;
      plan_status?: string | null;
    }>(
      // CAST: better-sqlite3 binds numbers as REAL, and SQLite then divided without truncating
      // (33.33… where PostgreSQL stores 33).
      `UPDATE plan_execution SET active_subtasks = active_subtasks + ?, completed_subtasks = completed_subtasks + ?,
         failed_subtasks = failed_subtasks + ?, blocked_subtasks = blocked_subtasks + ?,
         progress_percent = CASE WHEN total_subtasks = 0 THEN 0 ELSE ((completed_subtasks + CAST(? AS INTEGER)) * 100) / total_subtasks END,
         current_phase = COALESCE(?, current_phase), updated_at = ?
       WHERE plan_id = ? RETURNING total_subtasks, completed_subtasks, failed_subtasks, blocked_subtasks${
         // PostgreSQL: the plan's status in the same round trip, FOR SHARE so that it is read as
         // the last commit left it. Unlocked (or KEY SHARE, which a status change does not
         // conflict with) it came from the statement's snapshot: an UPDATE that had waited for
         // this row while another transaction completed the plan saw the plan still executing,
         // and a requeue then left the plan completed with a task queued. Transitions of one
         // plan already wait for each other on this row.
         tx.ex.dialect === "postgres"
           ? ", (SELECT p.status FROM execution_plans p WHERE p.id = plan_execution.plan_id FOR SHARE) AS plan_status"
           : ""
       }`,
      [d.active, d.completed, d.failed, d.blocked, d.completed, phase ?? null, ts, planId],
    );
    tx.touchedPlans.add(planId);
    if (!row) continue;
    // PostgreSQL returned it above (null: no plan); SQLite reads it through the covering index.
    const status =
      row.plan_status !== undefined
        ? row.plan_status
        : (await tx.ex.get<{ status: string }>(planStatusSql(tx.ex.dialect), [planId]))?.status;
    if (status == null) continue;
    await settlePlanStatus(tx, planId, status, row, failedTaskId ?? "", ts);
  }
  for (const t of deleted) await planTaskDeleted(tx, t.planId!, t.from, ts);
}

/**
 * A task of the plan was deleted. Its own statement, not the one above: deletions are rare, and
 * that one runs at every task change of every plan. The plan is settled even though no counter
 * moved for a queued or blocked task: deleting the last unfinished task of a plan left it
 * executing for ever (completed when what remains is complete; cancelled when nothing remains).
 * A cancelled plan stays cancelled: deleting its tasks does not make it complete.
 */
async function planTaskDeleted(tx: TxState, planId: string, from: string, ts: number): Promise<void> {
  const bucket = bucketOf(from);
  const minus = (b: Bucket) => (bucket === b ? 1 : 0);
  // SET expressions read the row as it was, hence total_subtasks - 1 in the progress. CAST: see
  // applyPlanTransitions.
  const row = await tx.ex.get<{
    total_subtasks: number;
    completed_subtasks: number;
    failed_subtasks: number;
    blocked_subtasks: number;
  }>(
    `UPDATE plan_execution SET total_subtasks = total_subtasks - 1,
       active_subtasks = active_subtasks - ?, completed_subtasks = completed_subtasks - ?,
       failed_subtasks = failed_subtasks - ?, blocked_subtasks = blocked_subtasks - ?,
       progress_percent = CASE WHEN total_subtasks <= 1 THEN 0
         ELSE ((completed_subtasks - CAST(? AS INTEGER)) * 100) / (total_subtasks - 1) END,
       updated_at = ?
     WHERE plan_id = ? RETURNING total_subtasks, completed_subtasks, failed_subtasks, blocked_subtasks`,
    [minus("active"), minus("completed"), minus("failed"), minus("blocked"), minus("completed"), ts, planId],
  );
  tx.touchedPlans.add(planId);
  if (!row) return;
  const status = (await tx.ex.get<{ status: string }>(planStatusSql(tx.ex.dialect), [planId]))?.status;
  if (status == null || status === "cancelled") return;
  await settlePlanStatus(tx, planId, status, row, "", ts);
}

/**
 * Moves a plan's status to what its counters say. A plan not started (draft, approved) keeps
 * its status: its tasks cannot run yet, and only markPlanExecutionStarted may make it
 * executing (which settles it then).
 */
export async function settlePlanStatus(
  tx: TxState,
  planId: string,
  status: string,
  counters: {
    total_subtasks: number;
    completed_subtasks: number;
    failed_subtasks: number;
    blocked_subtasks: number;
  },
  failedTaskId: string,
  ts: number,
): Promise<void> {
  if (status === "draft" || status === "approved") return;
  const total = Number(counters.total_subtasks);
  const done = Number(counters.completed_subtasks);
  const bad = Number(counters.failed_subtasks) + Number(counters.blocked_subtasks);
  let next = status;
  // No task left (every one was deleted): nothing can run, and "completed" would announce work
  // done that may never have been; cancelled says the plan was given up, and lets it be purged.
  if (total === 0) next = "cancelled";
  else if (done === total) next = "completed";
  else if (bad > 0) next = status === "cancelled" ? "cancelled" : "failed";
  else if (status === "completed" || status === "failed") next = "executing";
  if (next === status) return;
  // Written only when the status changes: the row holds plan_data (megabytes for a large
  // plan), and SQLite rewrites the whole record on any update, so writing it at every task
  // transition made dispatching a plan quadratic in its size (bench/results/ANALYSIS.md).
  await tx.ex.run("UPDATE execution_plans SET version = version + 1, status = ? WHERE id = ?", [
    next,
    planId,
  ]);
  await tx.ex.run(
    "UPDATE plan_execution SET completed_at = CASE WHEN ? IN ('completed','failed','cancelled') THEN CAST(? AS BIGINT) ELSE NULL END WHERE plan_id = ?",
    [next, ts, planId],
  );
  if (next === "completed") tx.events.push({ type: "plan.completed", planId });
  else if (next === "failed") tx.events.push({ type: "plan.failed", planId, failedTaskId });
  // Only the last task deleted settles a plan as cancelled here (cancelPlan announces its own):
  // unannounced, a listener waiting for the plan's end waited for ever.
  else if (next === "cancelled")
    tx.events.push({ type: "plan.cancelled", planId, reason: "every task of the plan was deleted" });
}
