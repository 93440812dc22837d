/**
 * ai-deployer: a worker daemon (role `deployer`) that claims `deployment` tasks and deploys them
 * under a configured root, with rollback. SIGTERM/SIGINT: stop claiming, finish or roll back what
 * runs within --drain-timeout-ms, mark the worker offline and exit (a second signal ends the
 * process at once; the lease then expires and the next deployment of the target repairs it).
 * `--once`: exit when nothing is left to deploy.
 */
import { closeDatabase, type Database, HiveError, openExistingDatabase } from "@hive/orchestration";
import { ZodError } from "zod";
import {
  ConfigUsageError,
  DEPLOYER_USAGE,
  InvalidRootError,
  loadDeployerConfig,
  prepareRoot,
} from "./config.ts";
import { createDeployerWorker, DEPLOYER_CAPABILITIES, untilIdle } from "./daemon.ts";
import { createLogger } from "./logger.ts";

/**
 * Opens the database. Only with --migrate may it be created or migrated: otherwise a missing
 * or unmigrated one is refused (as every `hive` command but `hive migrate` does), so a mistyped
 * --db is an error instead of a new empty database that the daemon waits on forever.
 */
function open(where: { path?: string; url?: string }, migrate = false): Promise<Database> {
  return openExistingDatabase(where, {
    migrate,
    orHint: "or start hive-deployer with --migrate, which creates and migrates it",
  });
}

async function main(): Promise<number> {
  // `pnpm start -- --db x` forwards the "--" itself (as hive-planner and hive allow).
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(DEPLOYER_USAGE);
    return 0;
  }
  const config = loadDeployerConfig(argv, process.env);
  const log = createLogger("ai-deployer", config.logLevel, { workerId: config.workerId });
  // Before the database: a root that cannot be a directory is a bad flag (exit 2), like the others.
  const root = prepareRoot(config.root);
  const db = await open(
    { path: config.dbPath, url: config.dbPath ? undefined : config.databaseUrl },
    config.migrate,
  );
  const stopRequested = new AbortController();
  const onSignal = (signal: string) => {
    log.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, "draining");
    stopRequested.abort();
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  const worker = createDeployerWorker(db, config, root, log);
  try {
    await worker.start();
    log.info(
      { root, concurrency: config.concurrency, capabilities: DEPLOYER_CAPABILITIES, once: config.once },
      "deployer started",
    );
    // Reaping as the Worker's own reaper does: a worker silent for 3 heartbeats is offline.
    const heartbeatMs = config.heartbeatMs ?? Math.max(50, Math.floor(config.leaseMs / 3));
    if (config.once)
      await untilIdle(db, worker, stopRequested.signal, { reap: { workerTimeoutMs: heartbeatMs * 3 } });
    else if (!stopRequested.signal.aborted)
      await new Promise((r) => stopRequested.signal.addEventListener("abort", r, { once: true }));
    if (config.once && !stopRequested.signal.aborted) log.info({}, "once: nothing left to deploy");
    await worker.stop({ timeoutMs: config.drainTimeoutMs });
    log.info({ ...worker.stats }, "deployer stopped");
  } finally {
    await closeDatabase(db);
  }
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof ZodError) {
    console.error(
      `invalid configuration: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    process.exitCode = 2;
  } else if (err instanceof InvalidRootError) {
    console.error(`invalid configuration: ${err.message}`);
    process.exitCode = 2;
  } else if (err instanceof ConfigUsageError) {
    console.error(`invalid arguments: ${err.message} (see --help)`);
    process.exitCode = 2;
  } else if (String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
    console.error(`invalid arguments: ${(err as Error).message} (see --help)`);
    process.exitCode = 2;
  } else {
    console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  }
}
// A handler stuck past the drain bound (a child that ignores signals) must not keep us alive.
setTimeout(() => process.exit(), 3000).unref();
