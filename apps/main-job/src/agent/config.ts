import { parseArgs } from "node:util";
import { integerText } from "@hive/models";
import { z } from "zod";
import { LEVELS } from "../logger.ts";

const List = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** The agent worker's configuration, parsed once from flags and environment. */
export const AgentConfigSchema = z.object({
  /** SQLite file (default: the library default, $HIVE_DB_PATH). */
  dbPath: z.string().min(1).optional(),
  /** PostgreSQL URL (--database-url, $HIVE_DATABASE_URL); a SQLite path wins over it. */
  databaseUrl: z.string().min(1).optional(),
  workerId: z.string().min(1).optional(),
  /** Handlers run at once. */
  concurrency: integerText({ min: 1, max: 64 }).default(4),
  /** Lease length; a task whose worker stops renewing it is run again this long after. */
  leaseMs: integerText({ min: 200 }).default(10_000),
  /** Lease renewal period (default leaseMs / 3). */
  heartbeatMs: integerText({ min: 50 }).optional(),
  /** How often this worker reaps expired leases (of any worker). */
  reaperMs: integerText({ min: 50 }).default(2000),
  /**
   * This worker's reaper marks a worker silent this long offline (default: the Worker's, 30 s or
   * 3 × heartbeatMs when longer). Keep it above every worker's heartbeat period.
   */
  workerTimeoutMs: integerText({ min: 1 }).optional(),
  /** How long the simulated agent works on a task. */
  workMs: integerText({ min: 0, max: 600_000 }).default(150),
  /** Retry backoff of failed attempts: base delay, doubling up to 10 × base. */
  backoffMs: integerText({ min: 0, max: 600_000 }).default(200),
  /** Task types whose simulated agent always fails (to exercise retries and plan failure). */
  failTypes: List,
  /** Subtask ids (the plan's `impl-api`, say) whose simulated agent always fails. */
  failSubtasks: List,
  logLevel: z.enum(LEVELS).default("info"),
});
export type AgentConfig = z.infer<typeof AgentConfigSchema>;

/** Flags win over environment variables. Throws a ZodError naming the bad field. */
export function loadAgentConfig(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      "database-url": { type: "string" },
      "worker-id": { type: "string" },
      concurrency: { type: "string" },
      "lease-ms": { type: "string" },
      "heartbeat-ms": { type: "string" },
      "reaper-ms": { type: "string" },
      "worker-timeout-ms": { type: "string" },
      "work-ms": { type: "string" },
      "backoff-ms": { type: "string" },
      "fail-types": { type: "string" },
      "fail-subtasks": { type: "string" },
      "log-level": { type: "string" },
    },
    strict: true,
  });
  return AgentConfigSchema.parse({
    dbPath: values.db ?? (values["database-url"] ? undefined : env.HIVE_DB_PATH || undefined),
    databaseUrl: values["database-url"] ?? (env.HIVE_DATABASE_URL || undefined),
    workerId: values["worker-id"],
    concurrency: values.concurrency,
    leaseMs: values["lease-ms"],
    heartbeatMs: values["heartbeat-ms"],
    reaperMs: values["reaper-ms"],
    workerTimeoutMs: values["worker-timeout-ms"],
    workMs: values["work-ms"],
    backoffMs: values["backoff-ms"],
    failTypes: values["fail-types"],
    failSubtasks: values["fail-subtasks"],
    logLevel: values["log-level"] ?? env.HIVE_LOG_LEVEL,
  });
}
