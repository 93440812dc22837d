/**
 * An agent worker process for the subtasks that are neither planning nor deployment: the Worker
 * runtime with one handler per task type (`shell` runs `payload.command`, the others a simulated
 * agent). Flags: see agent/config.ts (--db, --concurrency, --lease-ms, --fail-subtasks…).
 * SIGTERM/SIGINT: stop claiming, finish what runs (10 s at most), mark the worker offline, exit 0.
 * It never creates or migrates its database (the main job does): a missing or unmigrated one exits 1;
 * a bad flag or value exits 2.
 */
import { closeDatabase, HiveError, openExistingDatabase, ValidationError, Worker } from "@hive/orchestration";
import { ZodError } from "zod";
import { loadAgentConfig } from "./agent/config.ts";
import { AGENT_TASK_TYPES, agentHandlers } from "./agent/handlers.ts";
import { createLogger } from "./logger.ts";

async function main(): Promise<number> {
  const config = loadAgentConfig(process.argv.slice(2), process.env);
  const workerId = config.workerId ?? `agent-${process.pid}-${crypto.randomUUID().slice(0, 6)}`;
  const log = createLogger("agent-worker", config.logLevel, { workerId });
  // Never created or migrated here (the main job does that before it starts the agents): a
  // mistyped --db must be an error, not a new empty database the agent waits on forever.
  const db = await openExistingDatabase(
    config.dbPath || !config.databaseUrl ? { path: config.dbPath } : { url: config.databaseUrl },
    { migrate: false, orHint: "or run the main job on it (`npm start -- <db path>`), which creates it" },
  );
  const worker = new Worker({
    db,
    workerId,
    role: "agent",
    capabilities: ["analysis", "design", "coding", "testing", "review", "shell"],
    taskTypes: AGENT_TASK_TYPES,
    handler: agentHandlers(config),
    concurrency: config.concurrency,
    leaseMs: config.leaseMs,
    heartbeatMs: config.heartbeatMs,
    reaperIntervalMs: config.reaperMs,
    ...(config.workerTimeoutMs !== undefined ? { workerTimeoutMs: config.workerTimeoutMs } : {}),
    backoff: { baseDelayMs: config.backoffMs, maxDelayMs: config.backoffMs * 10 },
    metadata: { pid: process.pid },
    logger: log,
  });
  const stopped = new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  await worker.start();
  log.info({ concurrency: config.concurrency, leaseMs: config.leaseMs }, "agent worker started");
  log.info({ signal: await stopped }, "draining");
  await worker.stop({ timeoutMs: 10_000 });
  await closeDatabase(db);
  log.info(worker.stats, "agent worker stopped");
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
  } else if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
    console.error(`invalid command line: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
    // The Worker's own check of its options (--heartbeat-ms not below --lease-ms) is a bad flag too.
    process.exitCode = err instanceof ValidationError ? 2 : 1;
  }
}
