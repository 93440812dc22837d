import type { Task, Worker, WorkerStatus } from "@hive/models";
import { type Database, getTasksByStatus, listWorkers } from "@hive/orchestration";

/**
 * A worker with the tasks it runs now. A worker with concurrency > 1 runs several tasks while its
 * row's `currentTaskId` names one, so what a worker runs is read from the running tasks'
 * `assignedWorker` instead.
 */
export interface WorkerView extends Worker {
  runningTasks: string[];
}

/** How many running tasks are read for these views. */
export const RUNNING_SCAN_LIMIT = 10_000;

/** Running tasks, for workers' views and expired leases. */
export const runningTasks = (db: Database): Promise<Task[]> =>
  getTasksByStatus(db, "in_progress", RUNNING_SCAN_LIMIT);

/** Joins workers with the running tasks assigned to them. */
export function withRunningTasks(workers: readonly Worker[], running: readonly Task[]): WorkerView[] {
  const byWorker = new Map<string, string[]>();
  for (const t of running)
    if (t.assignedWorker) byWorker.set(t.assignedWorker, [...(byWorker.get(t.assignedWorker) ?? []), t.id]);
  return workers.map((w) => ({ ...w, runningTasks: byWorker.get(w.id) ?? [] }));
}

/** Workers (optionally in one status), most recent heartbeat first, with what they run now. */
export async function loadWorkers(db: Database, status?: WorkerStatus): Promise<WorkerView[]> {
  const [workers, running] = await Promise.all([listWorkers(db, status), runningTasks(db)]);
  return withRunningTasks(workers, running);
}
