/**
 * ai-planner. `hive-planner [--once] [flags]` runs the daemon; `hive-planner submit --description
 * … [--priority N] [--requestor R] [--context JSON]` enqueues a request and prints it as JSON.
 * Exit codes: 0 done, 2 invalid flags, configuration or input (nothing written), 1 other errors.
 */
import {
  closeDatabase,
  type Database,
  databaseFromFlags,
  HiveError,
  isPostgresUrl,
  openExistingDatabase,
  submitPlanningRequest,
} from "@hive/orchestration";
import { ZodError } from "zod";
import { ConfigUsageError, DAEMON_USAGE, loadPlannerConfig } from "./config.ts";
import { PlannerDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import { createPlanner, LlmPlannerDisabledError } from "./planners/index.ts";
import { parseSubmitArgs, SUBMIT_USAGE } from "./submit.ts";

/**
 * Opens the database. Only with --migrate may it be created or migrated: otherwise a missing
 * or unmigrated one is refused (as every `hive` command but `hive migrate` does), so a mistyped
 * --db is an error instead of a new empty database that the daemon waits on forever.
 */
function open(where: { path?: string; url?: string }, migrate = false): Promise<Database> {
  return openExistingDatabase(where, {
    migrate,
    orHint: "or start hive-planner with --migrate, which creates and migrates it",
  });
}

async function submit(argv: string[]): Promise<number> {
  const { input, db: dbFlag, databaseUrl: urlFlag, help } = parseSubmitArgs(argv);
  if (help) {
    process.stdout.write(SUBMIT_USAGE);
    return 0;
  }
  // The daemon's choice of database for the same flags and environment ($HIVE_DB_PATH over
  // $HIVE_DATABASE_URL): a request written elsewhere would never be planned.
  const { dbPath, databaseUrl } = databaseFromFlags({ db: dbFlag, databaseUrl: urlFlag }, process.env);
  if (!dbPath && databaseUrl && !isPostgresUrl(databaseUrl))
    throw new ConfigUsageError(
      "databaseUrl: must be a PostgreSQL URL (postgres://user@host:5432/db) (--database-url, HIVE_DATABASE_URL)",
    );
  // Validated above: a bad submission never opens the database. Nor does it create one: a
  // request written to a mistyped path would never be planned.
  const db = await open({ path: dbPath, url: dbPath ? undefined : databaseUrl });
  try {
    const request = await submitPlanningRequest(db, input);
    process.stdout.write(`${JSON.stringify(request)}\n`);
    return 0;
  } finally {
    await closeDatabase(db);
  }
}

async function daemon(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(DAEMON_USAGE);
    return 0;
  }
  const config = loadPlannerConfig(argv, process.env);
  const log = createLogger("ai-planner", config.logLevel, { workerId: config.agentId });
  // Before opening the database: an LLM planner without a key stops here and says so.
  const planner = createPlanner(
    config.planner === "llm" ? { kind: "llm", ...config.llm } : { kind: "builtin" },
  );
  const db = await open(
    { path: config.dbPath, url: config.dbPath ? undefined : config.databaseUrl },
    config.migrate,
  );
  const d = new PlannerDaemon(db, planner, config, log);
  const onSignal = (signal: string) => {
    log.info({ signal }, "draining");
    void d.stop();
  };
  // once: a second signal gets the default action (immediate exit) for an operator in a hurry.
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  try {
    await d.start();
    await d.done();
    await d.stop();
  } finally {
    await closeDatabase(db);
  }
  return 0;
}

/** Exit code and message for an error that reached the top. */
function report(err: unknown): number {
  if (err instanceof ZodError) {
    console.error(
      `invalid configuration: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    return 2;
  }
  if (err instanceof ConfigUsageError) {
    console.error(`${err.message} (see --help)`);
    return 2;
  }
  if (err instanceof LlmPlannerDisabledError) {
    console.error(err.message);
    return 2;
  }
  if (err instanceof HiveError) {
    console.error(`${err.name}: ${err.message}`);
    return err.name === "ValidationError" ? 2 : 1;
  }
  // node:util parseArgs: unknown flag, missing value…
  if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
    console.error(`${err.message} (see --help)`);
    return 2;
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  return 1;
}

// `pnpm start -- --db x` forwards the "--" itself.
const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
const [first, ...rest] = argv;
try {
  process.exitCode = first === "submit" ? await submit(rest) : await daemon(argv);
} catch (err) {
  process.exitCode = report(err);
}
