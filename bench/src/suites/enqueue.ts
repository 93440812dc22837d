/** Enqueue throughput: one task per call, then the batch API, on a fresh store per run. */
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

const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/**
 * Several runs of one system's enqueue as one row: each rate the median of its runs (one at a
 * time and batches apart), every run's rates kept. Null when no run succeeded.
 */
export function medianEnqueue(runs: readonly EnqueueRow[]): EnqueueRow | null {
  if (runs.length < 2) return runs[0] ?? null;
  const batch = runs.map((r) => r.batchRate).filter((x) => x !== null);
  return {
    ...runs[0]!,
    oneRate: median(runs.map((r) => r.oneRate)),
    batchRate: batch.length > 0 ? median(batch) : null,
    oneRuns: runs.map((r) => r.oneRate),
    batchRuns: runs.map((r) => r.batchRate),
  };
}
