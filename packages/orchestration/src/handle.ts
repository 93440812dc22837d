import type { HiveEvent } from "@hive/models";
import type { EventBus } from "./events.ts";
import type { SqlExecutor, SqlParam } from "./sql.ts";

/**
 * What a backend (SQLite, PostgreSQL) provides. Operations never see a driver type; they get
 * an executor inside a transaction or for a read.
 */
export interface Backend {
  readonly kind: "sqlite" | "postgres";
  /**
   * Run `fn` in a write transaction; commit when it resolves, roll back when it throws. When
   * `wakes` (asked once `fn` has resolved) says the transaction left work for others, idle
   * workers of other processes are woken by its commit (PostgreSQL: a NOTIFY sent with the
   * COMMIT, so it is delivered only if the commit succeeds; SQLite workers see the commit itself).
   */
  transaction<T>(fn: (ex: SqlExecutor) => Promise<T>, wakes?: () => boolean): Promise<T>;
  /**
   * Runs one write statement as a transaction of its own, in autocommit, cheaper than a
   * transaction around it (PostgreSQL: one round trip where BEGIN, the statement and COMMIT took
   * three; SQLite: one step where they took three), its NOTIFY (when `wake`) riding in it. The
   * statement must be an INSERT or UPDATE without RETURNING whose second run changes nothing
   * (PostgreSQL sends it again after a connection error). Its result: the rows it changed.
   */
  writeStatement(sql: string, params: readonly SqlParam[], wake: boolean): Promise<number>;
  /** Run reads outside a transaction (but never inside someone else's open one). */
  read<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T>;
  /** A number that changes whenever another connection commits (cache validation). */
  changeCounter(): Promise<number | null>;
  /** Calls `cb` when another process's commit woke idle workers (PostgreSQL LISTEN); absent where workers poll. */
  onWake?(cb: () => void): Promise<() => void>;
  close(): Promise<void>;
}

/** A database handle: what every operation takes first. Opaque outside this package. */
export interface Database {
  readonly kind: "sqlite" | "postgres";
  /** The file (SQLite) or a redacted URL (PostgreSQL). */
  readonly location: string;
  readonly events: EventBus;
  /** @internal */
  readonly _backend: Backend;
  /** @internal cache of plan statuses (getExecutionPlanStatusCached). */
  readonly _planStatusCache: Map<string, { status: string; counter: number | null }>;
  readonly closed: boolean;
}

/** A handle inside an open transaction; operations given it join that transaction. */
export interface Transaction {
  readonly kind: "sqlite" | "postgres";
  readonly events: EventBus;
  /** @internal */
  readonly _tx: TxState;
}

/** Either a database or an open transaction. */
export type Db = Database | Transaction;

/** @internal */
export interface TxState {
  readonly root: Database;
  readonly ex: SqlExecutor;
  /** Events to publish after commit. */
  readonly events: HiveEvent[];
  readonly touchedPlans: Set<string>;
  /**
   * Tasks whose dependents_version this transaction bumped, in order (tasks.ts
   * markDependencies); a savepoint rolled back forgets those it bumped.
   */
  readonly bumped: Set<string>;
  savepoints: number;
  /**
   * A transaction of transaction(): its open operation frames, outermost (the callback) first
   * (tx.ts). Absent for an operation's own transaction, whose code awaits one step at a time.
   */
  frames?: TxFrame[];
  /** Set once the transaction committed or rolled back: its handles refuse further use. */
  ended: boolean;
}

/** @internal One operation (or transaction() callback) running in a transaction: its savepoint. */
export interface TxFrame {
  readonly tx: TxState;
  /** Resolves when the frame has closed. */
  readonly done: Promise<void>;
}

export function isTransaction(db: Db): db is Transaction {
  return "_tx" in db;
}
