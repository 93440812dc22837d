import {
  type Database,
  hasClaimableTasks,
  type ReapOptions,
  reapExpiredLeases,
  Worker,
  type WorkerOptions,
} from "@hive/orchestration";
import type { Logger } from "pino";
import type { DeployerConfig } from "./config.ts";
import { deploymentHandler } from "./handler.ts";
import { strategyNames } from "./strategies/index.ts";

/** The capabilities a deployer registers with: `deploy` and its strategy names. */
export const DEPLOYER_CAPABILITIES = ["deploy", ...strategyNames];

/**
 * The deployer's Worker: role `deployer`, task type `deployment`, no prefetch (a claimed
 * deployment starts at once or is not claimed), leases renewed every heartbeatMs while a
 * deployment runs. On stop the worker row stays, marked offline, so run history keeps naming it.
 */
export function createDeployerWorker(
  db: Database,
  config: DeployerConfig,
  root: string,
  log: Logger,
): Worker {
  return new Worker({
    db,
    workerId: config.workerId,
    role: "deployer",
    capabilities: DEPLOYER_CAPABILITIES,
    taskTypes: ["deployment"],
    handler: { deployment: deploymentHandler(root, log) },
    concurrency: config.concurrency,
    prefetch: 0,
    leaseMs: config.leaseMs,
    heartbeatMs: config.heartbeatMs,
    backoff: { baseDelayMs: config.backoffBaseMs },
    metadata: { root, pid: process.pid, strategies: [...strategyNames] },
    unregisterOnStop: false,
    logger: withoutOwnWorkerId(log, config.workerId),
  });
}

/**
 * The Worker puts `workerId` in every line it logs, and the deployer's logger already carries it
 * as a scope field: pino wrote both, so each line had the key twice (and parsers kept one).
 */
function withoutOwnWorkerId(log: Logger, workerId: string): NonNullable<WorkerOptions["logger"]> {
  const strip = (obj: object): object => {
    if ((obj as { workerId?: unknown }).workerId !== workerId) return obj;
    const { workerId: _, ...rest } = obj as Record<string, unknown>;
    return rest;
  };
  return {
    info: (obj, msg) => log.info(strip(obj), msg),
    warn: (obj, msg) => log.warn(strip(obj), msg),
    error: (obj, msg) => log.error(strip(obj), msg),
  };
}

/**
 * Resolves once the worker holds nothing and has nothing left to do: no deployment task is ready,
 * or the ready ones stayed unclaimed for `stallMs` (they need skills this deployer lacks). Tasks
 * waiting for a retry backoff are not waited for. Before calling nothing ready it reaps expired
 * leases (`reap`: reapExpiredLeases options), so a task left in_progress by a crashed deployer is
 * requeued and deployed instead of overlooked. Ends early when `signal` aborts.
 */
export async function untilIdle(
  db: Database,
  worker: Worker,
  signal: AbortSignal,
  opts: { pollMs?: number; stallMs?: number; reap?: ReapOptions } = {},
): Promise<void> {
  const pollMs = opts.pollMs ?? 200;
  const stallMs = opts.stallMs ?? 5000;
  let lastClaimed = worker.stats.claimed;
  let lastProgress = Date.now();
  while (!signal.aborted) {
    await new Promise((r) => setTimeout(r, pollMs));
    if (worker.stats.claimed !== lastClaimed || worker.holding > 0) {
      lastClaimed = worker.stats.claimed;
      lastProgress = Date.now();
    }
    // Read "ready" before "holding": a task claimed in between is then seen as held.
    const ready = await hasClaimableTasks(db, ["deployment"]);
    if (worker.holding > 0) continue;
    if (!ready) {
      // The worker's own reaper runs every few seconds, later than this check: without this, a
      // crashed deployer's task (in_progress, lease expired) looked like nothing left to deploy.
      // Any task type: a requeued deployment is claimable now, and reaping others is harmless.
      const { requeued } = await reapExpiredLeases(db, opts.reap);
      if (requeued.length === 0) return;
      lastProgress = Date.now();
      continue;
    }
    if (Date.now() - lastProgress >= stallMs) return;
  }
}
