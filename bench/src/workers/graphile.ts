/**
 * graphile-worker with its documented batching (performance page): a local queue of 500 jobs
 * fetched and locked in one query, and completions batched (completeJobBatchDelay 0).
 * New jobs wake it through LISTEN/NOTIFY.
 */
import { run } from "graphile-worker";
import { type OpenWorker, str } from "./types.ts";

export const GRAPHILE_PRESET = {
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
};

/** graphile-worker's Logger: a factory taking a scope, returning a log function. */
const silentLogFactory = () => () => {};

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const { Logger } = await import("graphile-worker");
  let runner: Awaited<ReturnType<typeof run>> | null = null;
  return {
    start: async () => {
      runner = await run({
        connectionString: str(spec.target, "url"),
        schema: str(spec.target, "schema"),
        concurrency: spec.concurrency,
        noHandleSignals: true,
        logger: new Logger(silentLogFactory),
        taskList: {
          bench: async (payload) => {
            onExecute((payload as { i: number }).i);
          },
        },
        preset: { worker: GRAPHILE_PRESET },
      });
    },
    stop: async () => {
      await runner?.stop();
    },
  };
};
