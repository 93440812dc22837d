/**
 * plainjob: a worker handles one job at a time, so concurrency N is N workers on the process's
 * one connection (as its README's multi-worker setup). Idle workers poll every 100 ms.
 */
import BetterSqlite3 from "better-sqlite3";
import { better, defineQueue, defineWorker } from "plainjob";
import { type OpenWorker, silentLogger, str } from "./types.ts";

export const POLL_MS = 100;

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const queue = defineQueue({
    connection: better(new BetterSqlite3(str(spec.target, "path"))),
    logger: silentLogger,
  });
  const workers = Array.from({ length: spec.concurrency }, () =>
    defineWorker(
      "bench",
      async (job) => {
        onExecute((JSON.parse(job.data) as { i: number }).i);
      },
      { queue, logger: silentLogger, pollIntervall: POLL_MS },
    ),
  );
  let loops: Promise<void>[] = [];
  return {
    start: async () => {
      loops = workers.map((w) => w.start());
    },
    stop: async () => {
      await Promise.all(workers.map((w) => w.stop()));
      await Promise.all(loops);
      queue.close();
    },
  };
};
