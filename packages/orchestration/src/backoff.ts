import { type RetryPolicy, RetryPolicySchema } from "@hive/models";
import { z } from "zod";
import { parseInput } from "./validate.ts";

const AttemptSchema = z.number().int().min(0);

/**
 * Exponential backoff with jitter: base * 2^(attempt-1), capped, then reduced by a random share
 * up to `jitter` so that many failing tasks do not retry in lockstep. A bad attempt or policy is
 * a ValidationError naming the field.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
): number {
  const n = parseInput(AttemptSchema, attempt, "attempt");
  const p = parseInput(RetryPolicySchema, policy, "retry policy");
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, n - 1));
  return Math.round(exp * (1 - p.jitter * random()));
}
