import { parseArgs } from "node:util";
import { z } from "zod";

/** The planner daemon's configuration, parsed once from flags and environment. */
export const PlannerConfigSchema = z.object({
  /** SQLite file (default: the library default, $HIVE_DB_PATH). */
  dbPath: z.string().min(1).optional(),
  /** PostgreSQL URL (default $HIVE_DATABASE_URL); selects the PostgreSQL backend. */
  databaseUrl: z.string().min(1).optional(),
  agentId: z.string().min(1),
  /** Idle polling period in ms. */
  pollMs: z.coerce.number().int().min(10).max(60_000).default(200),
  /** Requests planned at once. */
  concurrency: z.coerce.number().int().min(1).max(64).default(2),
  /** A request assigned longer ago than this (its planner died) is planned again. */
  staleAfterMs: z.coerce.number().int().min(100).default(60_000),
  /** Attempts on a request before it is failed for good (planner unavailable). */
  maxAttempts: z.coerce.number().int().min(1).max(100).default(3),
  heartbeatMs: z.coerce.number().int().min(50).default(5000),
  planner: z.enum(["builtin", "llm"]).default("builtin"),
  llm: z.object({
    provider: z.enum(["openai", "anthropic"]).default("openai"),
    apiKey: z.string().min(1).optional(),
    baseUrl: z.string().url().optional(),
    model: z.string().min(1).optional(),
    maxAttempts: z.coerce.number().int().min(1).max(10).default(3),
    timeoutMs: z.coerce.number().int().min(100).default(60_000),
  }),
  /** Plan everything pending, then exit. */
  once: z.boolean().default(false),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type PlannerConfig = z.infer<typeof PlannerConfigSchema>;

/** Flags win over environment variables. Throws a ZodError naming the bad field. */
export function loadPlannerConfig(argv: string[], env: NodeJS.ProcessEnv): PlannerConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      "database-url": { type: "string" },
      "agent-id": { type: "string" },
      "poll-ms": { type: "string" },
      concurrency: { type: "string" },
      "stale-ms": { type: "string" },
      planner: { type: "string" },
      once: { type: "boolean" },
      "log-level": { type: "string" },
    },
    strict: true,
  });
  const provider =
    env.HIVE_LLM_PROVIDER ?? (env.ANTHROPIC_API_KEY && !env.OPENAI_API_KEY ? "anthropic" : "openai");
  return PlannerConfigSchema.parse({
    dbPath: values.db ?? env.HIVE_DB_PATH,
    databaseUrl: values["database-url"] ?? env.HIVE_DATABASE_URL,
    agentId:
      values["agent-id"] ??
      env.HIVE_PLANNER_ID ??
      `planner-${process.pid}-${crypto.randomUUID().slice(0, 6)}`,
    pollMs: values["poll-ms"] ?? env.HIVE_PLANNER_POLL_MS,
    concurrency: values.concurrency ?? env.HIVE_PLANNER_CONCURRENCY,
    staleAfterMs: values["stale-ms"] ?? env.HIVE_PLANNER_STALE_MS,
    planner: values.planner ?? env.HIVE_PLANNER,
    llm: {
      provider,
      apiKey: env.HIVE_LLM_API_KEY ?? (provider === "anthropic" ? env.ANTHROPIC_API_KEY : env.OPENAI_API_KEY),
      baseUrl: env.HIVE_LLM_BASE_URL,
      model: env.HIVE_LLM_MODEL,
    },
    once: values.once ?? false,
    logLevel: values["log-level"] ?? env.HIVE_LOG_LEVEL,
  });
}
