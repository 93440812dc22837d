/** What the suites need from a queue under test: a system (Hive, a baseline or a peer) and its stores. */

export type Backend = "sqlite" | "postgres";

/** How a worker process finds a store: plain JSON, sent over IPC. `worker` names the worker module. */
export interface WorkerTarget {
  worker: WorkerModule;
  [key: string]: string | number | boolean;
}

export type WorkerModule = "hive" | "raw-sqlite" | "plainjob" | "liteque" | "graphile" | "pgboss" | "raw-pg";

/** One fresh, empty queue (a SQLite file in a temp dir, or a PostgreSQL schema of its own). */
export interface Store {
  target: WorkerTarget;
  /** Enqueues the task with payload index `i`, alone (one call of the library's single-add API). */
  enqueueOne(i: number): Promise<void>;
  /** Enqueues indexes from..from+count-1 with the library's batch API; absent when it has none. */
  enqueueBatch?: (from: number, count: number) => Promise<void>;
  /** Tasks completed and committed so far. */
  countDone(): Promise<number>;
  /** Database-side checks once `n` tasks ran: a list of problems (empty when all is well). */
  verify(n: number): Promise<string[]>;
  /** Removes the store (file or schema). */
  close(): Promise<void>;
}

export interface System {
  /** Stable id, used in report rows and tests. */
  id: string;
  label: string;
  backend: Backend;
  role: "hive" | "baseline" | "peer";
  /** Library and version ("plainjob 0.0.14"). */
  version: string;
  /** The settings used, as printed in the report. */
  settings: string;
  /** Measured by the enqueue suite only: it has no worker (a bound on enqueue, not a queue). */
  enqueueOnly?: boolean;
  /** Creates a fresh store. */
  open(ctx: BenchContext): Promise<Store>;
}

export interface BenchContext {
  /** Directory for this run's SQLite files. */
  tmpDir: string;
  /** PostgreSQL server URL (trust auth), or null when PostgreSQL is not reachable. */
  pgUrl: string | null;
  /** Unique prefix for this run's PostgreSQL schemas (bench_<pid>_<time>). */
  runId: string;
  /** Set on SIGINT/SIGTERM: no new store is opened (sqlitePath and pgSchemaName throw), no suite starts. */
  interrupted?: boolean;
}
