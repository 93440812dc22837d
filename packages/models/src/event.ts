import { z } from "zod";
import { TaskStatusSchema } from "./task.ts";

const planId = z.string().nullable();

/**
 * Events emitted in-process after the transaction that caused them commits. The schema lets a
 * consumer that receives events from elsewhere (a log, a socket) validate them; the type is
 * inferred from it.
 */
export const HiveEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("task.created"), taskId: z.string(), taskType: z.string(), planId }),
  z.object({ type: z.literal("task.queued"), taskId: z.string() }),
  z.object({
    type: z.literal("task.claimed"),
    taskId: z.string(),
    workerId: z.string(),
    token: z.number().int(),
    attempt: z.number().int(),
  }),
  z.object({ type: z.literal("task.completed"), taskId: z.string(), planId }),
  z.object({
    type: z.literal("task.retried"),
    taskId: z.string(),
    attempt: z.number().int(),
    runAt: z.number().int(),
    error: z.string(),
  }),
  z.object({ type: z.literal("task.failed"), taskId: z.string(), planId, error: z.string() }),
  z.object({ type: z.literal("task.cancelled"), taskId: z.string(), planId }),
  z.object({
    type: z.literal("task.lease_expired"),
    taskId: z.string(),
    workerId: z.string().nullable(),
    status: TaskStatusSchema,
  }),
  z.object({ type: z.literal("task.upstream_failed"), taskId: z.string(), planId }),
  z.object({ type: z.literal("plan.created"), planId: z.string(), subtaskCount: z.number().int() }),
  z.object({ type: z.literal("plan.started"), planId: z.string() }),
  z.object({ type: z.literal("plan.completed"), planId: z.string() }),
  z.object({ type: z.literal("plan.failed"), planId: z.string(), failedTaskId: z.string() }),
  z.object({ type: z.literal("plan.cancelled"), planId: z.string(), reason: z.string() }),
  z.object({ type: z.literal("worker.registered"), workerId: z.string(), role: z.string() }),
  z.object({ type: z.literal("worker.offline"), workerId: z.string() }),
  z.object({ type: z.literal("planning.submitted"), requestId: z.string() }),
  z.object({ type: z.literal("planning.completed"), requestId: z.string(), planId: z.string() }),
  z.object({ type: z.literal("planning.failed"), requestId: z.string(), error: z.string() }),
]);

export type HiveEvent = z.infer<typeof HiveEventSchema>;
export type HiveEventType = HiveEvent["type"];
export type HiveEventOf<T extends HiveEventType> = Extract<HiveEvent, { type: T }>;
