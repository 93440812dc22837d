import { z } from "zod";

/**
 * Every timestamp in Hive is an integer count of milliseconds since the Unix epoch (UTC):
 * in the database (INTEGER / BIGINT columns), in the API and in events. One representation,
 * no time zones, cheap to compare and index.
 */
export const TimestampSchema = z.number().int().nonnegative();
export type Timestamp = z.infer<typeof TimestampSchema>;

export const IdSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters");

/** A JSON object (string keys, any JSON values). */
export const JsonObjectSchema = z.record(z.string(), z.json());
export type JsonObject = z.infer<typeof JsonObjectSchema>;

export const JsonValueSchema = z.json();
export type JsonValue = z.infer<typeof JsonValueSchema>;

export const TagListSchema = z.array(z.string().min(1).max(100)).max(100);
export const SkillListSchema = z.array(z.string().trim().min(1).max(100)).max(100);

/** Priority: higher runs first. */
export const PrioritySchema = z.number().int().min(-1_000_000).max(1_000_000);
