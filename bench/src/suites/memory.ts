/**
 * Peak RSS of a Hive worker process draining a large queue: the tasks are queued first, then one
 * fresh worker process (concurrency as in the processing runs) works through all of them.
 */
import { enqueueAll, exactlyOnceProblems, waitForStore } from "../measure.ts";
import { wallNow } from "../protocol.ts";
import type { MemoryRow } from "../results.ts";
import { hiveSystem } from "../systems/hive.ts";
import type { Backend, BenchContext } from "../systems/types.ts";
import { WorkerProcess } from "../workerProcess.ts";

export interface MemoryOptions {
  queued: number;
  concurrency: number;
  batchSize: number;
}

export async function measureMemory(
  ctx: BenchContext,
  backend: Backend,
  o: MemoryOptions,
): Promise<MemoryRow> {
  const store = await hiveSystem(backend).open(ctx);
  const worker = new WorkerProcess();
  try {
    await enqueueAll(store, o.queued, o.batchSize);
    const openRss = await worker.open({
      target: store.target,
      concurrency: o.concurrency,
      reportStarts: false,
    });
    worker.go();
    await waitForStore(store, o.queued, [worker]);
    const end = wallNow();
    const seconds = (end - (worker.firstAt ?? end)) / 1000;
    const { executed, maxRssKb } = await worker.stop();
    const problems = [...exactlyOnceProblems(executed, o.queued), ...(await store.verify(o.queued))];
    return {
      queued: o.queued,
      openRssMb: openRss / 2 ** 20,
      peakRssMb: maxRssKb / 1024,
      seconds,
      rate: o.queued / seconds,
      exactlyOnce: problems.length === 0,
      problems,
    };
  } finally {
    await worker.exit();
    await store.close();
  }
}
