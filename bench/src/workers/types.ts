import type { OpenSpec } from "../protocol.ts";

/** A worker of one system inside a worker process, opened on a store and not yet consuming. */
export interface WorkerRun {
  /** Starts consuming the queue. */
  start(): Promise<void>;
  /** Stops consuming (waiting for running handlers) and closes every connection. */
  stop(): Promise<void>;
}

/** Opens a worker; `onExecute(i)` must be called by each handler with its task's payload index. */
export type OpenWorker = (spec: OpenSpec, onExecute: (i: number) => void) => Promise<WorkerRun>;

/** A logger that drops everything: the peers log per job by default, which would be measured too. */
export const silentLogger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
};

/** Reads a target field that must be a string. */
export function str(target: OpenSpec["target"], key: string): string {
  const v = target[key];
  if (typeof v !== "string") throw new Error(`worker target: "${key}" must be a string`);
  return v;
}

/** Reads a target field that must be a number. */
export function num(target: OpenSpec["target"], key: string): number {
  const v = target[key];
  if (typeof v !== "number") throw new Error(`worker target: "${key}" must be a number`);
  return v;
}
