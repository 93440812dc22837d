/**
 * pg-boss 10: `work()` runs one polling loop that fetches `batchSize` jobs and hands them to the
 * handler as an array, then completes them in one statement. Concurrency N is N `work()` loops
 * (v10 has no per-worker concurrency option); polling at 0.5 s, the minimum pg-boss accepts.
 */
import PgBoss from "pg-boss";
import { type OpenWorker, str } from "./types.ts";

export const PGBOSS_BATCH = 500;
export const PGBOSS_POLL_S = 0.5;

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const boss = new PgBoss({
    connectionString: str(spec.target, "url"),
    schema: str(spec.target, "schema"),
    supervise: false,
    schedule: false,
    migrate: false,
  });
  boss.on("error", () => {});
  await boss.start();
  return {
    start: async () => {
      for (let k = 0; k < spec.concurrency; k++)
        await boss.work<{ i: number }>(
          "bench",
          { batchSize: PGBOSS_BATCH, pollingIntervalSeconds: PGBOSS_POLL_S },
          async (jobs) => {
            for (const j of jobs) onExecute(j.data.i);
          },
        );
    },
    stop: async () => {
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
};
