import { type RetryPolicy, RetryPolicySchema } from "@hive/models";

/**
 * Exponential backoff with jitter: base * 2^(attempt-1), capped, then reduced by a random share
 * up to `jitter` so that many failing tasks do not retry in lockstep.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy = {},
  random: () => number = Math.random,
): number {
  const p = RetryPolicySchema.parse(policy);
  const exp = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - p.jitter * random()));
}
