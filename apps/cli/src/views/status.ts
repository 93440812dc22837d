import type { TaskStatus, Worker } from "@hive/models";
import { countTasksByStatus, type Database, getTasksByStatus, listWorkers } from "@hive/orchestration";

/** A running task whose lease ran out: its worker is presumed dead until the reaper requeues it. */
export interface ExpiredLease {
  taskId: string;
  title: string;
  workerId: string | null;
  leaseExpiresAt: number;
  attempts: number;
}

/** What `hive status` and the dashboard header show. */
export interface StatusView {
  /** Server time, so that clients compute ages against the same clock. */
  now: number;
  backend: { kind: "sqlite" | "postgres"; location: string };
  tasks: Record<TaskStatus, number>;
  totalTasks: number;
  workers: Worker[];
  expiredLeases: ExpiredLease[];
}

/** How many running tasks are checked for an expired lease. */
const LEASE_SCAN_LIMIT = 10_000;

/** Tasks per state, every worker with its last heartbeat, and the running tasks whose lease expired. */
export async function loadStatus(db: Database, now = Date.now()): Promise<StatusView> {
  const [tasks, workers, running] = await Promise.all([
    countTasksByStatus(db),
    listWorkers(db),
    getTasksByStatus(db, "in_progress", LEASE_SCAN_LIMIT),
  ]);
  const expiredLeases = running
    .filter((t) => t.leaseExpiresAt !== null && t.leaseExpiresAt < now)
    .map((t) => ({
      taskId: t.id,
      title: t.title,
      workerId: t.assignedWorker,
      leaseExpiresAt: t.leaseExpiresAt!,
      attempts: t.attempts,
    }));
  return {
    now,
    backend: { kind: db.kind, location: db.location },
    tasks,
    totalTasks: Object.values(tasks).reduce((a, b) => a + b, 0),
    workers,
    expiredLeases,
  };
}
