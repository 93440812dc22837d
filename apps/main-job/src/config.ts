import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { integerText } from "@hive/models";
import { resolveDatabasePath, ValidationError } from "@hive/orchestration";
import { z } from "zod";

/** The main job's configuration, parsed once from the command line and environment. */
export const MainConfigSchema = z.object({
  /** SQLite file, absolute (positional argument or --db; default $HIVE_DB_PATH, else hive/db/hive-internal.db). */
  dbPath: z.string().min(1),
  /**
   * PostgreSQL URL (--database-url, else $HIVE_DATABASE_URL); selects the PostgreSQL backend for
   * the job and every process it starts. A database path given as a flag or argument wins over
   * it, and --database-url wins over $HIVE_DB_PATH.
   */
  databaseUrl: z.string().min(1).optional(),
  /** The request to submit; without it, the sample request. */
  description: z.string().optional(),
  /** The request's context as JSON text (--context) or the path of a JSON file (--context-file). */
  context: z.string().optional(),
  contextFile: z.string().min(1).optional(),
  priority: integerText().optional(),
  /** Agent worker processes to start. */
  agents: integerText({ min: 1, max: 16 }).default(2),
  /** How long the agents' simulated work on each subtask takes. */
  workMs: integerText({ min: 0, max: 600_000 }).default(150),
  /** Handlers each agent worker runs at once. */
  agentConcurrency: integerText({ min: 1, max: 64 }).default(3),
  /** The job gives up (exit 1) when the plan has not finished after this long. */
  timeoutMs: integerText({ min: 1000 }).default(180_000),
  /** Sample artifact, deployments and the processes' logs live under this directory. */
  workDir: z.string().min(1).default("hive"),
  /** Progress is refreshed this often. */
  refreshMs: integerText({ min: 50, max: 60_000 }).default(500),
});
export type MainConfig = z.infer<typeof MainConfigSchema>;

/** The main job's flags (besides --help), for parseArgs. */
export const MAIN_FLAGS = {
  db: { type: "string" },
  "database-url": { type: "string" },
  description: { type: "string", short: "d" },
  context: { type: "string", short: "c" },
  "context-file": { type: "string" },
  priority: { type: "string" },
  agents: { type: "string" },
  "agent-concurrency": { type: "string" },
  "work-ms": { type: "string" },
  "timeout-ms": { type: "string" },
  "work-dir": { type: "string" },
  "refresh-ms": { type: "string" },
} as const;

/** Usage of the main job's command line, printed by `--help`. */
export const MAIN_USAGE = `npm start -- [db path] [flags]     (or: tsx apps/main-job/src/main.ts [db path] [flags])

Submits a planning request (the sample, or --description), runs the planner, the deployer and
agent workers as processes until its plan finishes, stops them and prints a summary.

  [db path], --db <file>     SQLite database, created if missing (env HIVE_DB_PATH, default
                             hive/db/hive-internal.db)
  --database-url <url>       PostgreSQL instead (env HIVE_DATABASE_URL); a path wins over it
  -d, --description <text>   the request (default: the sample request)
  -c, --context <json>       the request's context, a JSON object
  --context-file <file>      the context from a JSON file (not with --context)
  --priority <int>           the request's priority
  --agents <n>               agent worker processes, 1-16 (default 2)
  --agent-concurrency <n>    handlers each agent runs at once, 1-64 (default 3)
  --work-ms <n>              the simulated agents' work per subtask (default 150)
  --timeout-ms <n>           give up (exit 1) when the plan has not finished by then (default 180000)
  --work-dir <dir>           sample artifact, deployments and logs (default hive)
  --refresh-ms <n>           progress refresh period (default 500)
  -h, --help                 this text

Exit codes: 0 the plan completed; 1 it failed, timed out, a process died or the job was
interrupted; 2 a bad command line or request (nothing written, nothing started).
`;

/**
 * `main.ts [db path] [--description D] [--context JSON | --context-file F] [--agents N] …`.
 * Throws a ZodError naming a bad field, a TypeError (ERR_PARSE_ARGS_*) for an unknown flag.
 */
export function loadMainConfig(argv: string[], env: NodeJS.ProcessEnv): MainConfig {
  const { values, positionals } = parseArgs({
    args: argv,
    options: MAIN_FLAGS,
    allowPositionals: true,
    strict: true,
  });
  // --db counts as one: `--db a.db b.db` would otherwise drop b.db without a word.
  const paths = [...(values.db === undefined ? [] : [values.db]), ...positionals];
  if (paths.length > 1)
    throw new ValidationError(`expected at most one database path, got ${paths.length}: ${paths.join(" ")}`, [
      { path: "dbPath", message: "given more than once" },
    ]);
  const path = values.db ?? positionals[0];
  const databaseUrl =
    path !== undefined
      ? undefined
      : (values["database-url"] ?? (env.HIVE_DB_PATH ? undefined : env.HIVE_DATABASE_URL || undefined));
  return MainConfigSchema.parse({
    dbPath: path === undefined ? resolveDatabasePath(env.HIVE_DB_PATH) : resolveDatabasePath(path),
    databaseUrl,
    description: values.description,
    context: values.context,
    contextFile: values["context-file"],
    priority: values.priority,
    agents: values.agents,
    agentConcurrency: values["agent-concurrency"],
    workMs: values["work-ms"],
    timeoutMs: values["timeout-ms"],
    workDir: values["work-dir"],
    refreshMs: values["refresh-ms"],
  });
}

/**
 * The absolute work directory, with its `logs/` folder, created if missing. A --work-dir that is a
 * file, or cannot be created, throws ValidationError naming it (exit 2): before the database is
 * opened, so the job writes no request that nothing would then run.
 */
export function prepareWorkDir(workDir: string): string {
  const abs = resolve(workDir);
  try {
    mkdirSync(join(abs, "logs"), { recursive: true });
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code === "ENOTDIR" ? "is not a directory" : (err as Error).message;
    throw new ValidationError(`invalid --work-dir: "${abs}" ${why}`, [
      { path: "workDir", message: "must be a directory that exists or can be created" },
    ]);
  }
  return abs;
}
