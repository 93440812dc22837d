import { z } from "zod";
import { clearCurrentTasks } from "./claims.ts";
import { now } from "./clock.ts";
import { blockDescendants } from "./dependencies.ts";
import type { Db } from "./handle.ts";
import { applyPlanTransitions, type Transition } from "./progress.ts";
import { LATEST_RUN_NUMBER } from "./runs.ts";
import { withTx } from "./tx.ts";
import { parseInput } from "./validate.ts";

const ReapOptionsSchema = z.strictObject({
  /** Workers whose last heartbeat is older than this are marked offline (default 30 s). */
  workerTimeoutMs: z.number().int().min(1).default(30_000),
  /** At most this many expired leases per call (default 1000). */
  limit: z.number().int().min(1).max(100_000).default(1000),
});
export type ReapOptions = z.input<typeof ReapOptionsSchema>;

export interface ReapResult {
  /** Tasks whose lease expired and that went back to the queue. */
  requeued: string[];
  /** Tasks whose lease expired on their last attempt: failed for good. */
  failed: string[];
  /** Workers marked offline. */
  offlineWorkers: string[];
}

/**
 * Returns in_progress tasks whose lease expired to the queue (or fails them when no attempts are
 * left), closes their runs as `lost`, and marks silent workers offline. Idempotent and safe to run
 * from every worker at once: each task is taken by one guarded update.
 */
export async function reapExpiredLeases(db: Db, options: ReapOptions = {}): Promise<ReapResult> {
  const o = parseInput(ReapOptionsSchema, options, "reap options");
  return withTx(db, async (tx) => {
    const ts = now();
    // The outer conditions repeat the inner ones: on PostgreSQL a reaper that waited for a row
    // another reaper (or a claim) changed re-checks them on the row's new version, so a task is
    // reaped once and a lease granted meanwhile is left alone. SKIP LOCKED: concurrent reapers
    // split the expired leases instead of queueing behind each other.
    const skipLocked = tx.ex.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
    const rows = await tx.ex.all<{ id: string; status: string; plan_id: string | null; attempts: number }>(
      `UPDATE tasks SET status = CASE WHEN attempts > max_retries THEN 'failed' ELSE 'queued' END,
         lease_expires_at = NULL, assigned_worker = NULL, run_at = ?, updated_at = ?,
         last_error = 'lease expired: the worker stopped heartbeating'
       WHERE id IN (SELECT id FROM tasks WHERE status = 'in_progress' AND lease_expires_at < ? LIMIT ?${skipLocked})
         AND status = 'in_progress' AND lease_expires_at < ?
       RETURNING id, status, plan_id, attempts`,
      [ts, ts, ts, o.limit, ts],
    );
    const result: ReapResult = { requeued: [], failed: [], offlineWorkers: [] };
    const transitions: Transition[] = [];
    for (const r of rows) {
      const run = await tx.ex.get<{ worker_id: string | null }>(
        `UPDATE runs SET status = 'lost', completed_at = ?, error_message = 'lease expired: the worker stopped heartbeating'
         WHERE task_id = ? AND run_number = ${LATEST_RUN_NUMBER} AND status = 'running' RETURNING worker_id`,
        [ts, r.id, r.id],
      );
      tx.events.push({
        type: "task.lease_expired",
        taskId: r.id,
        workerId: run?.worker_id ?? null,
        status: r.status as "queued" | "failed",
      });
      transitions.push({ planId: r.plan_id, from: "in_progress", to: r.status, taskId: r.id });
      if (r.status === "failed") {
        result.failed.push(r.id);
        tx.events.push({
          type: "task.failed",
          taskId: r.id,
          planId: r.plan_id,
          error: "lease expired on the last attempt",
        });
      } else {
        result.requeued.push(r.id);
        tx.events.push({ type: "task.queued", taskId: r.id });
      }
    }
    await applyPlanTransitions(tx, transitions);
    // The task left its worker (which may still be alive, only late): the worker row must not go
    // on naming it as its current task.
    await clearCurrentTasks(
      tx,
      rows.map((r) => r.id),
    );
    for (const id of result.failed)
      await blockDescendants(tx, id, `dependency ${id} failed: lease expired on the last attempt`);
    const workers = await tx.ex.all<{ id: string }>(
      "UPDATE workers SET status = 'offline', current_task_id = NULL WHERE status <> 'offline' AND last_heartbeat < ? RETURNING id",
      [ts - o.workerTimeoutMs],
    );
    for (const w of workers) {
      result.offlineWorkers.push(w.id);
      tx.events.push({ type: "worker.offline", workerId: w.id });
    }
    return result;
  });
}
