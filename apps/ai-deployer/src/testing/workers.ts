import type { Database, Worker } from "@hive/orchestration";
import { afterEach, expect } from "vitest";
import { type DeployerConfig, DeployerConfigSchema } from "../config.ts";
import { createDeployerWorker } from "../daemon.ts";
import { createLogger } from "../logger.ts";

/**
 * In-process deployer workers (the daemon's own Worker wiring) for tests. Each is stopped after
 * its test, which fails if a stopped worker still holds a task.
 */
export function useDeployerWorkers() {
  const running: Worker[] = [];
  afterEach(async () => {
    const left = running.splice(0);
    for (const w of left) await w.stop({ timeoutMs: 5000 });
    expect(
      left.filter((w) => w.holding > 0).map((w) => w.id),
      "workers still holding tasks after stop",
    ).toEqual([]);
  });
  return {
    /** Starts a deployer worker on `db` with short leases (2 s) and backoff (100 ms) unless overridden. */
    async start(db: Database, root: string, overrides: Partial<DeployerConfig> = {}): Promise<Worker> {
      const config = DeployerConfigSchema.parse({
        workerId: `test-deployer-${running.length + 1}`,
        root,
        leaseMs: 2000,
        backoffBaseMs: 100,
        ...overrides,
      });
      const w = createDeployerWorker(db, config, root, createLogger("ai-deployer", "silent"));
      await w.start();
      running.push(w);
      return w;
    },
    /** Stops a worker started here. */
    async stop(w: Worker): Promise<void> {
      const i = running.indexOf(w);
      if (i >= 0) running.splice(i, 1);
      await w.stop({ timeoutMs: 5000 });
    },
  };
}
