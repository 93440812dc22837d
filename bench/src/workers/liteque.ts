/** liteque's Runner at the given concurrency, polling every 100 ms when idle. */
import { Runner } from "liteque";
import { openLiteque } from "../systems/litequeDb.ts";
import { type OpenWorker, str } from "./types.ts";

export const POLL_MS = 100;

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const lq = await openLiteque(str(spec.target, "path"), false);
  const runner = new Runner<{ i: number }>(
    lq.queue,
    {
      run: async (job) => {
        onExecute(job.data.i);
      },
    },
    { concurrency: spec.concurrency, pollIntervalMs: POLL_MS, timeoutSecs: 600 },
  );
  let running: Promise<void> = Promise.resolve();
  return {
    start: async () => {
      running = runner.run();
    },
    stop: async () => {
      runner.stop();
      await running;
      lq.close();
    },
  };
};
