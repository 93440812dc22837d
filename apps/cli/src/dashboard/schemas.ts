import { integerText, PlanStatusSchema, TaskStatusSchema, WorkerStatusSchema } from "@hive/models";
import { z } from "zod";

/** Input of the JSON API, validated before any database call. Unknown keys are errors. */
export const IdParamSchema = z.string().trim().min(1).max(400);

export const TaskListQuerySchema = z.strictObject({
  status: TaskStatusSchema.optional(),
  type: z.string().min(1).max(100).optional(),
  plan: z.string().min(1).max(400).optional(),
  limit: integerText({ min: 1, max: 1000 }).default(100),
  offset: integerText({ min: 0 }).default(0),
});

export const PlanListQuerySchema = z.strictObject({
  status: PlanStatusSchema.optional(),
  limit: integerText({ min: 1, max: 1000 }).default(50),
});

export const WorkerListQuerySchema = z.strictObject({ status: WorkerStatusSchema.optional() });

export const RetryBodySchema = z.strictObject({
  resetAttempts: z.boolean().default(true),
  delayMs: z.number().int().min(0).max(86_400_000).default(0),
});

export const CancelBodySchema = z.strictObject({
  reason: z.string().trim().min(1).max(2000).default("cancelled from the dashboard"),
});
