/**
 * ai-deployer: a worker daemon (role `deployer`) that claims `deployment` tasks and deploys them
 * under a configured root, with rollback. SIGTERM/SIGINT: stop claiming, finish or roll back what
 * runs within --drain-timeout-ms, and unregister.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { closeDatabase, HiveError, hasClaimableTasks, openDatabase, Worker } from "@hive/orchestration";
import { ZodError } from "zod";
import { loadDeployerConfig } from "./config.ts";
import { deploymentHandler } from "./handler.ts";
import { createLogger } from "./logger.ts";
import { strategyNames } from "./strategies/index.ts";

async function main(): Promise<number> {
  const config = loadDeployerConfig(process.argv.slice(2), process.env);
  const log = createLogger("ai-deployer", config.logLevel, { workerId: config.workerId });
  const root = resolve(config.root);
  mkdirSync(root, { recursive: true });
  const db = await openDatabase({ path: config.dbPath, url: config.dbPath ? undefined : config.databaseUrl });
  const worker = new Worker({
    db,
    workerId: config.workerId,
    role: "deployer",
    capabilities: ["deploy", ...strategyNames],
    taskTypes: ["deployment"],
    handler: { deployment: deploymentHandler(root) },
    concurrency: config.concurrency,
    prefetch: 0,
    leaseMs: config.leaseMs,
    heartbeatMs: config.heartbeatMs,
    backoff: { baseDelayMs: config.backoffBaseMs },
    metadata: { root, pid: process.pid },
    unregisterOnStop: true,
    logger: log,
  });
  let stopping: Promise<void> | null = null;
  const stop = (why: string) => {
    if (!stopping) {
      log.info({ why }, "draining");
      stopping = worker.stop({ timeoutMs: config.drainTimeoutMs });
    }
    return stopping;
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  await worker.start();
  log.info({ root, concurrency: config.concurrency }, "deployer started");
  if (config.once) {
    while (!stopping) {
      await new Promise((r) => setTimeout(r, 200));
      if (worker.holding === 0 && !(await hasClaimableTasks(db, ["deployment"])))
        void stop("once: nothing left");
    }
  }
  await new Promise<void>((r) => {
    const t = setInterval(() => {
      if (stopping) {
        clearInterval(t);
        r();
      }
    }, 100);
  });
  await stopping;
  await closeDatabase(db);
  log.info(worker.stats, "deployer stopped");
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
  } else {
    console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
    process.exitCode = 1;
  }
}
