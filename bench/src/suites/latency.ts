/**
 * Enqueue-to-start latency with an idle worker waiting: one worker process (opened on a fresh
 * store, started, then left idle), tasks enqueued one at a time from the benchmark process at random gaps, each measured
 * from just before its enqueue call to its handler's start (wall clocks of one machine).
 */
import { exactlyOnceProblems, percentile, sleep } from "../measure.ts";
import { wallNow } from "../protocol.ts";
import type { LatencyRow } from "../results.ts";
import type { BenchContext, System } from "../systems/types.ts";
import type { WorkerProcess } from "../workerProcess.ts";

export interface LatencyOptions {
  samples: number;
  /** Gap between enqueues is uniform in [minGapMs, maxGapMs], so the worker has gone idle. */
  minGapMs: number;
  maxGapMs: number;
  concurrency: number;
  /** Wait after the worker starts before the first sample. */
  settleMs: number;
}

export async function measureLatency(
  ctx: BenchContext,
  system: System,
  worker: WorkerProcess,
  o: LatencyOptions,
  settings: string,
): Promise<LatencyRow> {
  const store = await system.open(ctx);
  try {
    await worker.open({ target: store.target, concurrency: o.concurrency, reportStarts: true });
    worker.go();
    await sleep(o.settleMs);
    const latencies: number[] = [];
    for (let k = 0; k < o.samples; k++) {
      await sleep(o.minGapMs + Math.random() * (o.maxGapMs - o.minGapMs));
      const at = wallNow();
      await store.enqueueOne(k);
      const deadline = Date.now() + 60_000;
      while (!worker.starts.has(k)) {
        worker.check();
        if (Date.now() > deadline) throw new Error(`${system.id}: task ${k} not started within 60 s`);
        await sleep(1);
      }
      latencies.push(worker.starts.get(k)! - at);
    }
    const { executed } = await worker.stop();
    const problems = exactlyOnceProblems(executed, o.samples);
    if (problems.length) throw new Error(`${system.id} latency run: ${problems.join("; ")}`);
    latencies.sort((a, b) => a - b);
    return {
      system: system.id,
      samples: o.samples,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies[latencies.length - 1]!,
      settings,
    };
  } finally {
    await store.close();
  }
}
