/**
 * Processing throughput: n no-op tasks queued, then drained by the given worker processes (all
 * opened on the store first) at a given concurrency. Timed from the first handler start (process and connection start-up excluded,
 * for every system alike) to the moment the database shows all n done. Each task is checked
 * executed exactly once: by the indexes the handlers recorded, and by the store itself.
 */
import { enqueueAll, exactlyOnceProblems, secondsFromFirstStart, waitForStore } from "../measure.ts";
import { wallNow } from "../protocol.ts";
import type { ProcessingRow } from "../results.ts";
import type { BenchContext, System } from "../systems/types.ts";
import type { WorkerProcess } from "../workerProcess.ts";

export interface ProcessingOptions {
  n: number;
  concurrency: number;
  batchSize: number;
}

export async function measureProcessing(
  ctx: BenchContext,
  system: System,
  workers: readonly WorkerProcess[],
  o: ProcessingOptions,
): Promise<ProcessingRow> {
  const store = await system.open(ctx);
  try {
    await enqueueAll(store, o.n, o.batchSize);
    await Promise.all(
      workers.map((w) => w.open({ target: store.target, concurrency: o.concurrency, reportStarts: false })),
    );
    const go = wallNow();
    for (const w of workers) w.go();
    await waitForStore(store, o.n, workers);
    const end = wallNow();
    const seconds = secondsFromFirstStart(
      workers.map((w) => w.firstAt),
      go,
      end,
    );
    const stopped = await Promise.all(workers.map((w) => w.stop()));
    const problems = [
      ...exactlyOnceProblems(
        stopped.flatMap((s) => s.executed),
        o.n,
      ),
      ...(await store.verify(o.n)),
    ];
    return {
      system: system.id,
      processes: workers.length,
      concurrency: o.concurrency,
      n: o.n,
      seconds,
      rate: o.n / seconds,
      exactlyOnce: problems.length === 0,
      problems,
    };
  } finally {
    await store.close();
  }
}

/**
 * The run of median rate among several runs of one measurement, carrying every run's rate; it
 * is exactly once only if every run was. Null when no run succeeded.
 */
export function medianRun(runs: readonly ProcessingRow[]): ProcessingRow | null {
  if (runs.length === 0) return null;
  const median = [...runs].sort((a, b) => a.rate - b.rate)[Math.floor((runs.length - 1) / 2)]!;
  return {
    ...median,
    exactlyOnce: runs.every((r) => r.exactlyOnce),
    problems: [...new Set(runs.flatMap((r) => r.problems))],
    runRates: runs.length > 1 ? runs.map((r) => r.rate) : undefined,
  };
}
