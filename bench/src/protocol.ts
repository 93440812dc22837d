/**
 * Messages between the benchmark (parent) and its worker processes (children). A child is
 * spawned idle, opens a store when told, starts consuming on "go" (so process start-up and
 * connection set-up stay outside the measured time), and reports what its handlers executed.
 */
import type { WorkerTarget } from "./systems/types.ts";

export interface OpenSpec {
  target: WorkerTarget;
  /** Handlers run at once in this process. */
  concurrency: number;
  /** Send a "started" message (with the wall-clock time) as each handler starts (latency runs). */
  reportStarts: boolean;
}

export type ToChild = { type: "open"; spec: OpenSpec } | { type: "go" } | { type: "stop" } | { type: "exit" };

export type FromChild =
  | { type: "opened"; rssBytes: number }
  | { type: "progress"; executed: number; firstAt: number | null }
  | { type: "started"; i: number; at: number }
  | { type: "stopped"; executed: number[]; maxRssKb: number }
  | { type: "error"; message: string };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}
