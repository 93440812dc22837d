import { z } from "zod";

/**
 * An integer given as text (a flag): optional sign and digits, surrounding spaces allowed;
 * anything else "must be an integer". z.coerce.number() read "" and " " as 0 (so
 * `--drain-timeout-ms "$UNSET"` aborted every running deployment at SIGTERM, `--backoff-ms ""`
 * retried at once) and took "1e3" and "0x10". Numbers pass as they are. (As `hive`'s flags, apps/cli.)
 */
export function integerText(range: { min?: number; max?: number } = {}) {
  let n = z.number({ error: "must be an integer" }).int("must be an integer");
  if (range.min !== undefined) n = n.min(range.min);
  if (range.max !== undefined) n = n.max(range.max);
  return z.preprocess((v) => (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : v), n);
}
