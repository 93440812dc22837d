/** Small measuring helpers: sleeping, waiting with a deadline, percentiles, exactly-once checks. */
import type { Store } from "./systems/types.ts";
import type { WorkerProcess } from "./workerProcess.ts";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds since `t0` (a performance.now() reading). */
export function secondsSince(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** The p-th percentile (0..100) of a sorted list, nearest rank. */
/**
 * Seconds from the workers' first handler start to `end` (this process's wall clock). A child's
 * wall clock (its performance.timeOrigin) can sit a few ms off this process's: a smoke run of a
 * few ms once measured end before start (a negative rate, and a negative DAG dispatch). A first
 * start outside [go, end], or none reported, is that skew, not a measurement: `go` (when this
 * process sent the go message) bounds it.
 */
export function secondsFromFirstStart(starts: readonly (number | null)[], go: number, end: number): number {
  const known = starts.filter((t): t is number => t !== null);
  const first = known.length > 0 ? Math.min(...known) : go;
  return (end - (first >= go && first < end ? first : go)) / 1000;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Enqueues indexes 0..n-1: with the batch API in batches of `batchSize`, else one by one. */
export async function enqueueAll(store: Store, n: number, batchSize: number): Promise<void> {
  if (store.enqueueBatch)
    for (let from = 0; from < n; from += batchSize)
      await store.enqueueBatch(from, Math.min(batchSize, n - from));
  else for (let i = 0; i < n; i++) await store.enqueueOne(i);
}

/**
 * Waits until `isDone()`. The workers' progress reports say when to look: the database is
 * polled often only near the end (98 % of the handlers ran), so polling does not slow the run.
 */
export async function waitForDone(o: {
  n: number;
  workers: readonly WorkerProcess[];
  timeoutMs: number;
  isDone: () => Promise<boolean>;
  /** What the database shows, for the timeout error. */
  describe: () => Promise<string>;
}): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    for (const w of o.workers) w.check();
    const executed = o.workers.reduce((s, w) => s + w.executed, 0);
    if (executed >= o.n * 0.98 || executed >= o.n - 2) {
      if (await o.isDone()) return;
      await sleep(3);
    } else await sleep(10);
    if (Date.now() > deadline)
      throw new Error(
        `not done within ${o.timeoutMs} ms: ${executed}/${o.n} handlers ran; ${await o.describe()}`,
      );
  }
}

/** waitForDone on a store: done when it counts `n` tasks done. */
export function waitForStore(store: Store, n: number, workers: readonly WorkerProcess[]): Promise<void> {
  return waitForDone({
    n,
    workers,
    timeoutMs: Math.max(180_000, n * 20),
    isDone: async () => (await store.countDone()) >= n,
    describe: async () => `${await store.countDone()} done in the database`,
  });
}

/** Problems with the handler executions of a run that should execute 0..n-1 exactly once each. */
export function exactlyOnceProblems(executed: readonly number[], n: number): string[] {
  const seen = new Uint8Array(n);
  let dup = 0;
  let stray = 0;
  for (const i of executed) {
    if (!Number.isInteger(i) || i < 0 || i >= n) stray++;
    else if (seen[i]) dup++;
    else seen[i] = 1;
  }
  const missing = n - seen.reduce((s, v) => s + v, 0);
  const problems: string[] = [];
  if (dup) problems.push(`${dup} tasks executed more than once`);
  if (missing) problems.push(`${missing} tasks never executed`);
  if (stray) problems.push(`${stray} executions of unknown tasks`);
  return problems;
}
