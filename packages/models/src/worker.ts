import { z } from "zod";
import { IdSchema, JsonObjectSchema, SkillListSchema, TimestampSchema, text } from "./common.ts";

export const WorkerStatusSchema = z.enum(["active", "draining", "offline"]);
export type WorkerStatus = z.infer<typeof WorkerStatusSchema>;

export const WorkerSchema = z.object({
  id: z.string(),
  role: z.string(),
  status: WorkerStatusSchema,
  lastHeartbeat: TimestampSchema,
  capabilities: SkillListSchema,
  currentTaskId: z.string().nullable(),
  metadata: JsonObjectSchema.nullable(),
  registeredAt: TimestampSchema,
});
export type Worker = z.infer<typeof WorkerSchema>;

export const RegisterWorkerInputSchema = z.strictObject({
  workerId: IdSchema,
  role: text().trim().min(1, "must not be empty").max(100),
  capabilities: SkillListSchema.default([]),
  metadata: JsonObjectSchema.nullish(),
});
export type RegisterWorkerInput = z.input<typeof RegisterWorkerInputSchema>;

export const UpdateWorkerHeartbeatInputSchema = z.strictObject({
  workerId: IdSchema,
  status: WorkerStatusSchema.optional(),
  currentTaskId: text().nullable().optional(),
});
export type UpdateWorkerHeartbeatInput = z.input<typeof UpdateWorkerHeartbeatInputSchema>;
