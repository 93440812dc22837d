/** The figures of one backend's run, as written to the JSON and markdown reports. */
import type { RunSizes } from "./config.ts";
import type { Backend } from "./systems/types.ts";

export interface SystemInfo {
  id: string;
  label: string;
  role: "hive" | "baseline" | "peer";
  version: string;
  settings: string;
}

export interface EnqueueRow {
  system: string;
  /** Tasks/s enqueued one call (one transaction) at a time. */
  oneRate: number;
  oneN: number;
  /** Tasks/s enqueued with the batch API, or null when the library has none. */
  batchRate: number | null;
  batchN: number;
  batchSize: number;
  /** Each run's rates, in the order run, when the figures are medians of several runs. */
  oneRuns?: number[];
  batchRuns?: (number | null)[];
}

export interface ProcessingRow {
  system: string;
  processes: number;
  concurrency: number;
  n: number;
  seconds: number;
  rate: number;
  /** Every task executed exactly once (handler records) and the database agrees, in every run. */
  exactlyOnce: boolean;
  problems: string[];
  /** Each run's rate, in the order run, when the figure is the median of several runs. */
  runRates?: number[];
}

export interface LatencyRow {
  system: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  settings: string;
}

export type DagShape = "layered" | "fan-out" | "fan-in" | "chain";

export interface DagRow {
  shape: DagShape;
  nodes: number;
  edges: number;
  createSeconds: number;
  dispatchSeconds: number;
  createUsPerNode: number;
  dispatchUsPerNode: number;
  /** False when the plan did not complete within the time limit (or was skipped after one that did not). */
  finished: boolean;
  exactlyOnce: boolean;
  problems: string[];
  /** Each run's dispatch µs/node, in the order run, when the row is the median of several runs. */
  dispatchRuns?: number[];
}

export interface MemoryRow {
  queued: number;
  /** RSS of the worker process once its database is open, before claiming. */
  openRssMb: number;
  /** Peak RSS of the worker process over the whole drain of the queue. */
  peakRssMb: number;
  seconds: number;
  rate: number;
  exactlyOnce: boolean;
  problems: string[];
}

export interface TargetRow {
  target: string;
  figure: string;
  goal: string;
  /** null: could not be evaluated in this run (a figure is missing). */
  met: boolean | null;
}

export interface BackendResults {
  backend: Backend;
  smoke: boolean;
  /** The sizes measured with (absent in reports written before they were saved). */
  sizes?: RunSizes;
  /** The command that produced these figures. */
  command: string;
  startedAt: string;
  seconds: number;
  /** Why this backend was not measured (PostgreSQL unreachable), else null. */
  skipped: string | null;
  /** Measurements that failed (the run goes on without them). */
  errors: string[];
  /** Suites copied from an earlier report (`--merge`), with that report's start time; `systems`: systems not re-run, whose rows of every suite come from it. */
  merged: { suites: string[]; from: string; systems?: string[] } | null;
  environment: Record<string, string>;
  systems: SystemInfo[];
  enqueue: EnqueueRow[];
  processing: ProcessingRow[];
  latency: LatencyRow[];
  dag: DagRow[];
  memory: MemoryRow | null;
  targets: TargetRow[];
}
