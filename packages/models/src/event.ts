import type { Task } from "./task.ts";

/** Events emitted in-process after the transaction that caused them commits. */
export type HiveEvent =
  | { type: "task.created"; taskId: string; taskType: string; planId: string | null }
  | { type: "task.queued"; taskId: string }
  | { type: "task.claimed"; taskId: string; workerId: string; token: number; attempt: number }
  | { type: "task.completed"; taskId: string; planId: string | null }
  | { type: "task.retried"; taskId: string; attempt: number; runAt: number; error: string }
  | { type: "task.failed"; taskId: string; planId: string | null; error: string }
  | { type: "task.cancelled"; taskId: string; planId: string | null }
  | { type: "task.lease_expired"; taskId: string; workerId: string | null; status: Task["status"] }
  | { type: "task.upstream_failed"; taskId: string; planId: string | null }
  | { type: "plan.created"; planId: string; subtaskCount: number }
  | { type: "plan.started"; planId: string }
  | { type: "plan.completed"; planId: string }
  | { type: "plan.failed"; planId: string; failedTaskId: string }
  | { type: "worker.registered"; workerId: string; role: string }
  | { type: "worker.offline"; workerId: string }
  | { type: "planning.submitted"; requestId: string }
  | { type: "planning.completed"; requestId: string; planId: string }
  | { type: "planning.failed"; requestId: string; error: string };

export type HiveEventType = HiveEvent["type"];
export type HiveEventOf<T extends HiveEventType> = Extract<HiveEvent, { type: T }>;
