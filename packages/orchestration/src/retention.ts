/**
 * Retention: the one way finished work leaves the database. Nothing is deleted implicitly
 * (DESIGN.md); an operator or a scheduled job calls `purgeFinished` with the age past which
 * finished work may go. Each call is one transaction of bounded size; call it again while it
 * reports `more`.
 */
import { z } from "zod";
import { now } from "./clock.ts";
import type { Db } from "./handle.ts";
import { withTx } from "./tx.ts";
import { parseInput } from "./validate.ts";

const PurgeOptionsSchema = z.strictObject({
  /** Finished work older than this (ms since it finished) is removed. 0: everything finished. */
  olderThanMs: z.number().int().min(0),
  /** At most this many standalone tasks, plans and planning requests each per call (default 1000). */
  limit: z.number().int().min(1).max(100_000).default(1000),
});
export type PurgeOptions = z.input<typeof PurgeOptionsSchema>;

/**
 * What one call removed, by the rows it picked: a plan's tasks are not picked, they go with their
 * plan (by cascade) and are listed neither in `tasks` nor anywhere else. A plan of 11 tasks purged
 * is `{ tasks: [], plans: [id] }`.
 */
export interface PurgeResult {
  /**
   * Ids of the standalone tasks (in no plan) removed, with their runs and edges. Tasks of a
   * purged plan are not among them: see `plans`.
   */
  tasks: string[];
  /** Ids of the execution plans removed, each whole: all its tasks, their runs and edges, plan_execution. */
  plans: string[];
  /** Ids of the planning requests removed. */
  planningRequests: string[];
  /** True when a kind hit `limit`: there may be more to purge; call again. */
  more: boolean;
}

const TERMINAL_TASK = "('completed','failed','cancelled','upstream_failed')";
const UNFINISHED_TASK = "('blocked','queued','in_progress')";

/**
 * A finished standalone task (no plan) whose last change is older than the cutoff, that no
 * unfinished task depends on: removing it changes nothing any live task counts on.
 */
const TASK_PURGEABLE = `t.plan_id IS NULL AND t.status IN ${TERMINAL_TASK} AND t.updated_at < ?
  AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks u ON u.id = d.task_id
    WHERE d.depends_on_id = t.id AND u.status IN ${UNFINISHED_TASK})`;

/**
 * A plan that finished (completed, failed or cancelled) before the cutoff, none of whose tasks is
 * still running or waiting (a failed plan's other tasks may finish after it), and none of whose
 * tasks an unfinished task elsewhere depends on.
 *
 * Its finish time is plan_execution.completed_at. A plan cancelled before its tasks were created
 * has no plan_execution row (getPlanExecution returns null for it) and was never purged, nor the
 * request it came from. execution_plans records no finish time, so such a plan goes by the only
 * time it has, generated_at: it may go sooner after its cancellation than the age says, but it
 * never had a task, so nothing ran in it or waits on it. (A finished_at column would be exact.)
 */
const PLAN_PURGEABLE = `p.status IN ('completed','failed','cancelled')
  AND (EXISTS (SELECT 1 FROM plan_execution pe WHERE pe.plan_id = p.id AND pe.completed_at < ?)
    OR (p.status = 'cancelled' AND p.generated_at < ?
      AND NOT EXISTS (SELECT 1 FROM plan_execution pe WHERE pe.plan_id = p.id)))
  AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.plan_id = p.id AND t.status IN ${UNFINISHED_TASK})
  AND NOT EXISTS (SELECT 1 FROM tasks t JOIN task_dependencies d ON d.depends_on_id = t.id
    JOIN tasks u ON u.id = d.task_id WHERE t.plan_id = p.id AND u.status IN ${UNFINISHED_TASK})`;

/** A planning request answered or failed before the cutoff that no remaining plan came from. */
const REQUEST_PURGEABLE = `q.status IN ('completed','failed') AND COALESCE(q.completed_at, q.created_at) < ?
  AND NOT EXISTS (SELECT 1 FROM execution_plans p WHERE p.planning_task_id = q.id)`;

/**
 * Removes finished work older than `olderThanMs`: standalone tasks in a terminal state (completed,
 * failed, cancelled, upstream_failed) with their runs and edges; finished plans whole (their
 * tasks, runs, edges and progress row); answered planning requests no plan refers to any more.
 * Work something unfinished still depends on stays. Up to `limit` of each kind per call, in one
 * transaction; `more` says whether to call again. Safe beside running workers (see below).
 */
export async function purgeFinished(db: Db, options: PurgeOptions): Promise<PurgeResult> {
  const o = parseInput(PurgeOptionsSchema, options, "purge options");
  return withTx(db, async (tx) => {
    const cutoff = now() - o.olderThanMs;
    const pg = tx.ex.dialect === "postgres";
    // PostgreSQL: the picking SELECT locks what it removes, skipping rows a concurrent
    // transaction holds (a requeue, a createTask naming the task as its dependency: that one
    // then waits for this commit and finds its dependency gone). Locking re-checks the row's own
    // conditions on its latest version. SQLite's writers are serialized.
    const skip = pg ? " FOR UPDATE SKIP LOCKED" : "";
    /**
     * Deletes up to `limit` rows of `table` (aliased `alias` in `where`) that `where` picks;
     * `where` has `cutoffs` parameters, each the cutoff.
     */
    const purge = async (table: string, alias: string, where: string, cutoffs = 1) =>
      (
        await tx.ex.all<{ id: string }>(
          `DELETE FROM ${table} WHERE id IN (SELECT ${alias}.id FROM ${table} ${alias} WHERE ${where} LIMIT ?${skip})
           RETURNING id`,
          [...Array<number>(cutoffs).fill(cutoff), o.limit],
        )
      ).map((r) => r.id);

    const tasks = await purge("tasks", "t", TASK_PURGEABLE);
    // A plan's tasks and its progress row go with it by cascade; the tasks' triggers take their
    // runs and edges.
    const plans = await purge("execution_plans", "p", PLAN_PURGEABLE, 2);
    for (const id of plans) tx.touchedPlans.add(id);
    // After the plans: a request whose plan just went goes too.
    const planningRequests = await purge("planning_queue", "q", REQUEST_PURGEABLE);

    return {
      tasks,
      plans,
      planningRequests,
      more: tasks.length === o.limit || plans.length === o.limit || planningRequests.length === o.limit,
    };
  });
}
