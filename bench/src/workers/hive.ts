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
 * On PostgreSQL the Worker runs two group commits at once (commitLanes 2, its default there),
 * each taking half of the held tasks: it holds two claims' worth, so each commit is still one
 * of up to 256. Measured (processing suite, medians of 3, same minutes): at stop 17 two lanes
 * gave 22,626 tasks/s (1 process) where one lane of 256 gave 18,129; at stop 20 three lanes
 * beat two, but then the second and third lane claimed nothing while another's claim was in
 * flight. With that mended (stop 22), two lanes gave 18.2-22.3k (1 process) and 19.0-23.4k
 * (2 processes) where the three of before gave 15.2-17.5k and 20.3-25.7k (four pairs); three
 * mended lanes were level for one process and lower for two (17.2-20.2k).
 */
export const HIVE_PG_LANES = 2;

/**
 * On PostgreSQL each lane takes up to concurrency + 392 (not 248): with two working lanes,
 * larger commits cost the server less per task. Measured (processing suite, four alternating
 * pairs, stop 22): 1 process 17.1-19.5k → 19.3-23.5k tasks/s, 2 processes 19.7-23.5k →
 * 22.8-24.1k, every pair higher.
 */
export const HIVE_PG_PREFETCH = 392;
export const hivePrefetch = (backend: string, concurrency: number): number =>
  backend === "postgres" ? HIVE_PG_LANES * (concurrency + HIVE_PG_PREFETCH) - concurrency : HIVE_PREFETCH;

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
