import type { TaskStatus } from "@hive/models";
import { countTasksByStatus, type Database, listWorkers } from "@hive/orchestration";
import { runningTasks, type WorkerView, withRunningTasks } from "./workers.ts";

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
  workers: WorkerView[];
  expiredLeases: ExpiredLease[];
}

/** Tasks per state, every worker with its last heartbeat, and the running tasks whose lease expired. */
export async function loadStatus(db: Database, now = Date.now()): Promise<StatusView> {
  const [tasks, workers, running] = await Promise.all([
    countTasksByStatus(db),
    listWorkers(db),
    runningTasks(db),
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
    workers: withRunningTasks(workers, running),
    expiredLeases,
  };
}
