import { z } from "zod";
import { IdSchema, JsonObjectSchema, PrioritySchema, TimestampSchema, text } from "./common.ts";

export const PlanningStatusSchema = z.enum(["pending", "assigned", "completed", "failed"]);
export type PlanningStatus = z.infer<typeof PlanningStatusSchema>;

export const ComplexitySchema = z.enum(["simple", "medium", "complex"]);
export type Complexity = z.infer<typeof ComplexitySchema>;

export const PlanningRequestSchema = z.object({
  id: z.string(),
  taskDescription: z.string(),
  priority: z.number().int(),
  requestor: z.string().nullable(),
  contextData: JsonObjectSchema.nullable(),
  status: PlanningStatusSchema,
  complexityEstimate: z.string().nullable(),
  createdAt: TimestampSchema,
  assignedAt: TimestampSchema.nullable(),
  completedAt: TimestampSchema.nullable(),
  assignedAgent: z.string().nullable(),
  errorMessage: z.string().nullable(),
  attempts: z.number().int().nonnegative(),
});
export type PlanningRequest = z.infer<typeof PlanningRequestSchema>;

/** Serialized context must stay below this many bytes. */
export const MAX_CONTEXT_BYTES = 256 * 1024;

export const SubmitPlanningRequestInputSchema = z.strictObject({
  taskDescription: text().trim().min(1, "must not be empty").max(20_000),
  priority: PrioritySchema.default(1),
  requestor: text().trim().min(1).max(200).nullish(),
  contextData: JsonObjectSchema.nullish().refine(
    (v) => v == null || Buffer.byteLength(JSON.stringify(v)) <= MAX_CONTEXT_BYTES,
    { message: `must serialize to at most ${MAX_CONTEXT_BYTES} bytes` },
  ),
  complexityEstimate: text().max(50).nullish(),
  id: IdSchema.optional(),
});
export type SubmitPlanningRequestInput = z.input<typeof SubmitPlanningRequestInputSchema>;

export const ClaimPlanningRequestsInputSchema = z.strictObject({
  agentId: IdSchema,
  limit: z.number().int().min(1).max(100).default(1),
  /** A request assigned longer ago than this is considered abandoned and may be claimed again. */
  staleAfterMs: z
    .number()
    .int()
    .min(100)
    .default(5 * 60_000),
  /**
   * Claims a request may take (default 5). A stale assigned request that has already been claimed
   * this many times is not handed out again but failed: a request that kills every planner that
   * takes it (a poison pill) would otherwise be reclaimed forever. Pending requests (given back by
   * a live planner) are not affected.
   */
  maxAttempts: z.number().int().min(1).max(1_000_000).default(5),
});
export type ClaimPlanningRequestsInput = z.input<typeof ClaimPlanningRequestsInputSchema>;
