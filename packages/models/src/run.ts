import { z } from "zod";
import { JsonValueSchema, TimestampSchema } from "./common.ts";

/** running: leased; completed / failed: reported by the worker; lost: lease expired; cancelled. */
export const RunStatusSchema = z.enum(["running", "completed", "failed", "lost", "cancelled"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  workerId: z.string().nullable(),
  runNumber: z.number().int().positive(),
  status: RunStatusSchema,
  phase: z.string().nullable(),
  startedAt: TimestampSchema,
  completedAt: TimestampSchema.nullable(),
  resultData: JsonValueSchema.nullable(),
  errorMessage: z.string().nullable(),
  outputLog: z.string().nullable(),
  transcript: z.string().nullable(),
});
export type Run = z.infer<typeof RunSchema>;
