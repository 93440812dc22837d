/** Enqueue throughput: one task per call, then the batch API, on one fresh store per system. */
import type { EnqueueRow } from "../results.ts";
import type { BenchContext, System } from "../systems/types.ts";

export interface EnqueueOptions {
  oneN: number;
  batchN: number;
  batchSize: number;
}

export async function measureEnqueue(
  ctx: BenchContext,
  system: System,
  o: EnqueueOptions,
): Promise<EnqueueRow> {
  const store = await system.open(ctx);
  try {
    let t0 = performance.now();
    for (let i = 0; i < o.oneN; i++) await store.enqueueOne(i);
    const oneRate = o.oneN / ((performance.now() - t0) / 1000);
    let batchRate: number | null = null;
    if (store.enqueueBatch) {
      t0 = performance.now();
      for (let from = 0; from < o.batchN; from += o.batchSize)
        await store.enqueueBatch(o.oneN + from, Math.min(o.batchSize, o.batchN - from));
      batchRate = o.batchN / ((performance.now() - t0) / 1000);
    }
    return { system: system.id, oneRate, oneN: o.oneN, batchRate, batchN: o.batchN, batchSize: o.batchSize };
  } finally {
    await store.close();
  }
}
