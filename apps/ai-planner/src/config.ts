import { parseArgs } from "node:util";
import { integerText } from "@hive/models";
import { databaseFromFlags, isPostgresUrl } from "@hive/orchestration";
import { z } from "zod";

const ms = (min: number, max?: number) => integerText({ min, max });

const LlmSettingsSchema = z.object({
  provider: z.enum(["openai", "anthropic"]).default("openai"),
  apiKey: z.string().min(1).optional(),
  /** Default: https://api.openai.com/v1 (OpenAI-compatible) or https://api.anthropic.com. */
  baseUrl: z.string().url().optional(),
  /** Default: gpt-4o-mini (OpenAI) or claude-sonnet-4-5 (Anthropic). */
  model: z.string().min(1).optional(),
  /** Calls per request: the first plus retries carrying the validation error. */
  maxAttempts: integerText({ min: 1, max: 10 }).default(3),
  /** Per call. */
  timeoutMs: ms(100).default(60_000),
});

/** The planner daemon's configuration, parsed once from flags and environment. */
export const PlannerConfigSchema = z
  .object({
    /** SQLite file (default: the library default, $HIVE_DB_PATH). */
    dbPath: z.string().min(1).optional(),
    /** PostgreSQL URL (default $HIVE_DATABASE_URL); selects the PostgreSQL backend. */
    databaseUrl: z.string().min(1).optional(),
    agentId: z.string().min(1).max(200),
    /** Idle polling period in ms (default 200). */
    pollMs: integerText({ min: 10, max: 60_000 }).default(200),
    /** Requests planned at once (default 2). */
    concurrency: integerText({ min: 1, max: 64 }).default(2),
    /**
     * A request assigned longer ago than this (its planner died) is planned again. Default: 60 s
     * for the built-in planner; for the LLM planner, long enough for every call of one plan to time
     * out (llm.timeoutMs × llm.maxAttempts + 60 s), so a slow but live planner is not overtaken.
     */
    staleAfterMs: ms(100).optional(),
    /**
     * Claims of one request before it is failed for good (default 3): when the planner stays
     * unavailable, and when every planner that took it died (claimPlanningRequests' maxAttempts:
     * a request that kills its planners is not handed to the next one forever).
     */
    maxAttempts: integerText({ min: 1, max: 100 }).default(3),
    /** Worker heartbeat period (default 5 s). */
    heartbeatMs: ms(50).default(5000),
    /**
     * Reaper period (default 2 s; 0: off): marks workers with an old heartbeat offline (and
     * requeues tasks whose lease expired), so a planner or worker killed with SIGKILL does not
     * stay `active` when no task worker runs a reaper.
     */
    reaperMs: ms(0).default(2000),
    /**
     * A worker whose last heartbeat is older than this is marked offline. Default: 30 s (the
     * reaper's own default), or 3 × heartbeatMs when that is longer. Keep it above every worker's
     * heartbeat period: the planner cannot know theirs.
     */
    workerTimeoutMs: ms(1).optional(),
    /**
     * Create the database if it is missing and apply pending migrations (default false). Without
     * it a database that does not exist or is not fully migrated is refused: a mistyped --db must
     * not become a new empty database the planner waits on forever.
     */
    migrate: z.boolean().default(false),
    /** On SIGINT/SIGTERM, how long plans in flight may finish before they are aborted and given back (default 10 s). */
    drainMs: ms(0).default(10_000),
    /**
     * Test hook, 0 in production: a pause between producing a plan and storing it. The crash tests
     * use it to kill a planner that holds a finished but unstored plan (the window is otherwise
     * microseconds long); stop() cuts it short.
     */
    storeDelayMs: ms(0, 600_000).default(0),
    planner: z.enum(["builtin", "llm"]).default("builtin"),
    llm: LlmSettingsSchema,
    /** Plan everything pending, then exit. */
    once: z.boolean().default(false),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  // The driver reads a URL without a postgres:// scheme as a host name ("notaurl" fails as a DNS
  // lookup of "base", exit 1): a URL that would be used is checked here, as a usage error (exit 2).
  .refine((c) => c.dbPath !== undefined || c.databaseUrl === undefined || isPostgresUrl(c.databaseUrl), {
    path: ["databaseUrl"],
    message: "must be a PostgreSQL URL (postgres://user@host:5432/db) (--database-url, HIVE_DATABASE_URL)",
  })
  // Not above its own heartbeat, the planner's reaper (when on) marks the planner itself offline
  // between two of its heartbeats (and `hive status` shows a live planner offline).
  .refine((c) => c.workerTimeoutMs === undefined || c.reaperMs === 0 || c.workerTimeoutMs > c.heartbeatMs, {
    path: ["workerTimeoutMs"],
    message: "must be longer than heartbeatMs (this planner heartbeats every heartbeatMs)",
  })
  .transform((c) => ({
    ...c,
    staleAfterMs:
      c.staleAfterMs ?? (c.planner === "llm" ? c.llm.timeoutMs * c.llm.maxAttempts + 60_000 : 60_000),
    workerTimeoutMs: c.workerTimeoutMs ?? Math.max(30_000, 3 * c.heartbeatMs),
  }));
export type PlannerConfig = z.output<typeof PlannerConfigSchema>;
export type PlannerConfigInput = z.input<typeof PlannerConfigSchema>;

/** Usage of the daemon's flags, printed by `--help`. */
export const DAEMON_USAGE = `hive-planner [flags]            run the planner daemon
hive-planner submit [flags]     enqueue a planning request (see hive-planner submit --help)

  --db <file>            SQLite database (env HIVE_DB_PATH); must exist and be migrated (\`hive migrate\`)
  --database-url <url>   PostgreSQL instead (env HIVE_DATABASE_URL); not with --db
  --migrate              create the database if missing and apply pending migrations
  --agent-id <id>        worker id (env HIVE_PLANNER_ID; default planner-<pid>-<random>)
  --planner <kind>       builtin (default) or llm (env HIVE_PLANNER)
  --poll-ms <n>          idle polling period (env HIVE_PLANNER_POLL_MS, default 200)
  --concurrency <n>      requests planned at once (env HIVE_PLANNER_CONCURRENCY, default 2)
  --stale-ms <n>         re-plan requests assigned longer ago (env HIVE_PLANNER_STALE_MS)
  --max-attempts <n>     claims before a request fails for good, planner unavailable or planners
                         dead (env HIVE_PLANNER_MAX_ATTEMPTS, default 3)
  --heartbeat-ms <n>     worker heartbeat (env HIVE_PLANNER_HEARTBEAT_MS, default 5000)
  --reaper-ms <n>        mark silent workers offline this often, 0 off (env HIVE_PLANNER_REAPER_MS, default 2000)
  --worker-timeout-ms <n>  a worker silent this long is offline, above --heartbeat-ms
                         (env HIVE_PLANNER_WORKER_TIMEOUT_MS, default max(30000, 3 × heartbeat))
  --drain-ms <n>         grace for plans in flight on SIGTERM (env HIVE_PLANNER_DRAIN_MS, default 10000)
  --store-delay-ms <n>   test hook: pause before storing a plan (env HIVE_PLANNER_STORE_DELAY_MS, default 0)
  --once                 plan everything pending, then exit
  --log-level <level>    pino level (env HIVE_LOG_LEVEL, default info)

LLM planner (env only): HIVE_LLM_PROVIDER (openai|anthropic), HIVE_LLM_API_KEY (or OPENAI_API_KEY /
ANTHROPIC_API_KEY), HIVE_LLM_BASE_URL, HIVE_LLM_MODEL, HIVE_LLM_MAX_ATTEMPTS, HIVE_LLM_TIMEOUT_MS.
`;

/** Flags that contradict each other (exit code 2, like an invalid flag). */
export class ConfigUsageError extends Error {
  override name = "ConfigUsageError";
}

/**
 * Flags win over environment variables. Throws a ZodError naming the bad field, or a TypeError
 * (code ERR_PARSE_ARGS_*) for an unknown flag, or a ConfigUsageError for --db with --database-url.
 */
export function loadPlannerConfig(argv: string[], processEnv: NodeJS.ProcessEnv): PlannerConfig {
  // An empty variable (FOO= in a shell or a compose file) means "not set", not an invalid value.
  const env = Object.fromEntries(Object.entries(processEnv).filter(([, v]) => v !== undefined && v !== ""));
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      "database-url": { type: "string" },
      "agent-id": { type: "string" },
      "poll-ms": { type: "string" },
      concurrency: { type: "string" },
      "stale-ms": { type: "string" },
      "max-attempts": { type: "string" },
      "heartbeat-ms": { type: "string" },
      "reaper-ms": { type: "string" },
      "worker-timeout-ms": { type: "string" },
      migrate: { type: "boolean" },
      "drain-ms": { type: "string" },
      "store-delay-ms": { type: "string" },
      planner: { type: "string" },
      once: { type: "boolean" },
      "log-level": { type: "string" },
    },
    strict: true,
  });
  // As `hive` does: silently preferring one of two explicit backends hid a mistake.
  if (values.db !== undefined && values["database-url"] !== undefined)
    throw new ConfigUsageError("give --db (SQLite) or --database-url (PostgreSQL), not both");
  const provider =
    env.HIVE_LLM_PROVIDER ?? (env.ANTHROPIC_API_KEY && !env.OPENAI_API_KEY ? "anthropic" : "openai");
  return PlannerConfigSchema.parse({
    ...databaseFromFlags({ db: values.db, databaseUrl: values["database-url"] }, env),
    agentId:
      values["agent-id"] ??
      env.HIVE_PLANNER_ID ??
      `planner-${process.pid}-${crypto.randomUUID().slice(0, 6)}`,
    pollMs: values["poll-ms"] ?? env.HIVE_PLANNER_POLL_MS,
    concurrency: values.concurrency ?? env.HIVE_PLANNER_CONCURRENCY,
    staleAfterMs: values["stale-ms"] ?? env.HIVE_PLANNER_STALE_MS,
    maxAttempts: values["max-attempts"] ?? env.HIVE_PLANNER_MAX_ATTEMPTS,
    heartbeatMs: values["heartbeat-ms"] ?? env.HIVE_PLANNER_HEARTBEAT_MS,
    reaperMs: values["reaper-ms"] ?? env.HIVE_PLANNER_REAPER_MS,
    workerTimeoutMs: values["worker-timeout-ms"] ?? env.HIVE_PLANNER_WORKER_TIMEOUT_MS,
    migrate: values.migrate ?? false,
    drainMs: values["drain-ms"] ?? env.HIVE_PLANNER_DRAIN_MS,
    storeDelayMs: values["store-delay-ms"] ?? env.HIVE_PLANNER_STORE_DELAY_MS,
    planner: values.planner ?? env.HIVE_PLANNER,
    llm: {
      provider,
      apiKey: env.HIVE_LLM_API_KEY ?? (provider === "anthropic" ? env.ANTHROPIC_API_KEY : env.OPENAI_API_KEY),
      baseUrl: env.HIVE_LLM_BASE_URL,
      model: env.HIVE_LLM_MODEL,
      maxAttempts: env.HIVE_LLM_MAX_ATTEMPTS,
      timeoutMs: env.HIVE_LLM_TIMEOUT_MS,
    },
    once: values.once ?? false,
    logLevel: values["log-level"] ?? env.HIVE_LOG_LEVEL,
  });
}
