/** Hive's own Worker runtime (claim batches + group commit), on SQLite or PostgreSQL. */
import { hive } from "../hiveModule.ts";
import { type OpenWorker, str } from "./types.ts";

/**
 * Tasks claimed ahead of the free slots: claims and group commits of up to 256 tasks each. The
 * peers get their documented batching too (graphile-worker's local queue of 500). Chosen by
 * measurement (processing suite, medians of 3, back to back): on SQLite 248 gave 47.0-53.9k
 * tasks/s where 120 gave 42.9-45.8k; 184 and 312 were level with 248; an in-process drain fell
 * off again at 504 (46k vs 53k). On PostgreSQL 120-312 were level within the noise.
 */
export const HIVE_PREFETCH = 248;

/**
 * On PostgreSQL the Worker runs three group commits at once (commitLanes 3, its default there),
 * each taking a third of the held tasks: it holds three claims' worth, so each commit is still
 * one of up to 256. Measured (processing suite, medians of 3, same minutes): at stop 17 two lanes
 * gave 22,626 tasks/s (1 process) where one lane of 256 gave 18,129; at stop 20 three lanes gave
 * 21.0-23.6k where two gave 18.0-19.7k (three pairs), two processes level (26.0-28.4k vs
 * 24.3-27.4k).
 */
export const HIVE_PG_LANES = 3;
export const hivePrefetch = (backend: string, concurrency: number): number =>
  backend === "postgres" ? HIVE_PG_LANES * (concurrency + HIVE_PREFETCH) - concurrency : HIVE_PREFETCH;

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const { closeDatabase, openDatabase, Worker } = await hive();
  const t = spec.target;
  const db = await openDatabase(
    t.backend === "postgres"
      ? { url: str(t, "url"), schema: str(t, "schema"), migrate: false }
      : { path: str(t, "path"), migrate: false },
  );
  const worker = new Worker({
    db,
    role: "bench",
    concurrency: spec.concurrency,
    prefetch: hivePrefetch(String(t.backend), spec.concurrency),
    ...(t.backend === "postgres" ? { commitLanes: HIVE_PG_LANES } : {}),
    handler: ({ task }) => {
      onExecute((task.payload as { i: number }).i);
    },
  });
  return {
    start: async () => {
      await worker.start();
    },
    stop: async () => {
      await worker.stop();
      await closeDatabase(db);
    },
  };
};
