import { AsyncLocalStorage } from "node:async_hooks";
import type { HiveEvent } from "@hive/models";
import { HiveError } from "./errors.ts";
import {
  type Database,
  type Db,
  isTransaction,
  type Transaction,
  type TxFrame,
  type TxState,
} from "./handle.ts";
import type { SqlExecutor, SqlParam } from "./sql.ts";

/**
 * The SQLite transaction of transaction() whose callback the calling code runs in. Enabled only
 * while such a transaction is open (an operation's own withTx never enters it): on Node 20 an
 * enabled store hooks every promise of the process (a createTask loop and a Worker drain ~10 %
 * slower), a disabled one costs the hot path one property check in getStore().
 */
const callerTx = new AsyncLocalStorage<TxState>();
let callerTxOpen = 0;

async function inCallerTx<T>(
  state: TxState,
  fn: (tx: Transaction) => Promise<T>,
  handle: Transaction,
): Promise<T> {
  callerTxOpen++;
  try {
    return await callerTx.run(state, fn, handle);
  } finally {
    if (--callerTxOpen === 0) callerTx.disable();
  }
}

/**
 * The frame of a transaction() the calling code runs in (its callback, or an operation inside
 * it). Operations on one transaction share its connection and its stack of savepoints, so two
 * of them running at once (`Promise.all([tx.createTask(a), tx.createTask(b)])`) interleaved
 * their SAVEPOINT / RELEASE / ROLLBACK TO: "no such savepoint", and a rollback of one undid the
 * writes of another that had been reported created, then committed without them. Each
 * operation therefore waits until the frame it was called from is the innermost open one: those
 * called side by side run one after the other, those an operation calls inside itself at once.
 * Enabled only while a transaction() is open, like callerTx (its cost is per promise).
 */
const currentFrame = new AsyncLocalStorage<TxFrame>();
let framesOpen = 0;

function openFrame(tx: TxState): { frame: TxFrame; close: () => void } {
  let close!: () => void;
  const done = new Promise<void>((resolve) => (close = resolve));
  const frame: TxFrame = { tx, done };
  return { frame, close };
}

/** Runs `fn` as the outermost frame of the transaction() whose state is `tx`. */
async function inRootFrame<T>(tx: TxState, fn: () => Promise<T>): Promise<T> {
  const { frame, close } = openFrame(tx);
  tx.frames = [frame];
  framesOpen++;
  try {
    return await currentFrame.run(frame, fn);
  } finally {
    close();
    if (--framesOpen === 0) currentFrame.disable();
  }
}

/**
 * Runs `fn` as a frame of the transaction() whose state is `tx`, once the frame it was called
 * from is the innermost open one (see currentFrame).
 */
async function inFrame<T>(tx: TxState, frames: TxFrame[], fn: () => Promise<T>): Promise<T> {
  const caller = currentFrame.getStore();
  // Called from outside any of its open frames (a handle kept in a closure): the callback's.
  const mine = caller && frames.includes(caller) ? caller : frames[0]!;
  for (let top = frames.at(-1)!; top !== mine; top = frames.at(-1)!) await top.done;
  assertLive(tx);
  const { frame, close } = openFrame(tx);
  frames.push(frame);
  try {
    return await currentFrame.run(frame, fn);
  } finally {
    frames.pop();
    close();
  }
}

function assertOpen(db: Database): void {
  if (db.closed) throw new HiveError("the database handle is closed; open a new one with openDatabase()");
  // An operation on the database handle from inside a transaction() of the same SQLite handle
  // would wait for the connection's lock, which that transaction holds until its callback
  // (awaiting this operation) returns: a hang. Refuse it instead.
  const open = callerTx.getStore();
  if (open !== undefined && open.root === db && !open.ended)
    throw new HiveError(
      "an operation on the database handle was called inside a transaction of that handle, and would wait for ever for the lock the transaction holds; pass the transaction's `tx` instead (createTask(tx, …), or tx.createTask(…) in OrchestrationClient.transaction)",
    );
}

/**
 * Runs `fn` atomically. On a database handle: a new write transaction (SQLite: BEGIN IMMEDIATE).
 * Inside a transaction: a savepoint, so a failing operation undoes only its own writes.
 * Events are published once the outermost transaction commits.
 */
export async function withTx<T>(db: Db, fn: (tx: TxState) => Promise<T>): Promise<T> {
  if (isTransaction(db)) {
    const tx = db._tx;
    assertLive(tx);
    if (tx.frames) return inFrame(tx, tx.frames, () => inSavepoint(tx, fn));
    return inSavepoint(tx, fn);
  }
  assertOpen(db);
  return inNewTransaction(db, fn);
}

/** withTx inside a transaction: a savepoint. */
async function inSavepoint<T>(tx: TxState, fn: (tx: TxState) => Promise<T>): Promise<T> {
  const name = `hive_sp_${++tx.savepoints}`;
  const mark = tx.events.length;
  const bumpedMark = tx.bumped.size;
  await tx.ex.run(`SAVEPOINT ${name}`);
  try {
    const result = await fn(tx);
    await tx.ex.run(`RELEASE ${name}`);
    return result;
  } catch (err) {
    await tx.ex.run(`ROLLBACK TO ${name}`);
    await tx.ex.run(`RELEASE ${name}`);
    tx.events.length = mark;
    for (const id of [...tx.bumped].slice(bumpedMark)) tx.bumped.delete(id);
    throw err;
  }
}

/** Continues withTx on a database handle. */
async function inNewTransaction<T>(db: Database, fn: (tx: TxState) => Promise<T>): Promise<T> {
  let state: TxState | undefined;
  let result: T;
  try {
    result = await db._backend.transaction(
      async (ex) => {
        if (state) state.ended = true; // an attempt the backend retries
        state = {
          root: db,
          ex,
          events: [],
          touchedPlans: new Set(),
          bumped: new Set(),
          savepoints: 0,
          ended: false,
        };
        return fn(state);
      },
      () => state !== undefined && leavesWork(state.events),
    );
  } finally {
    if (state) state.ended = true;
  }
  if (state) afterCommit(db, state.events, state.touchedPlans);
  return result;
}

/**
 * A handle kept past the end of its transaction would run on the connection outside any
 * transaction (SQLite: unserialized writes, events never published; PostgreSQL: a client back
 * in the pool).
 */
function assertLive(tx: TxState): void {
  if (tx.ended)
    throw new HiveError(
      "this transaction has ended; use the database handle (or a new transaction) instead of a kept tx",
    );
}

/**
 * Whether a transaction's events leave claimable work for other workers: a plan started, or a
 * task created or queued that the same transaction did not claim itself. A worker's group commit
 * that completes a chain's node and claims the node it released wakes nobody.
 */
export function leavesWork(events: readonly HiveEvent[]): boolean {
  const left = new Set<string>();
  for (const e of events) {
    if (e.type === "plan.started") return true;
    if (e.type === "task.created" || e.type === "task.queued") left.add(e.taskId);
    else if (e.type === "task.claimed") left.delete(e.taskId);
  }
  return left.size > 0;
}

function afterCommit(db: Database, events: HiveEvent[], touchedPlans: Set<string>): void {
  for (const planId of touchedPlans) db._planStatusCache.delete(planId);
  if (events.length > 0) db.events.publish(events);
}

/**
 * Runs one write statement as its own transaction (a database handle, not a transaction's),
 * then publishes `events` as a transaction's commit does. The statement's contract is
 * Backend.writeStatement's. Returns the rows it changed.
 */
export async function writeAlone(
  db: Database,
  sql: string,
  params: readonly SqlParam[],
  events: HiveEvent[],
): Promise<number> {
  assertOpen(db);
  const changes = await db._backend.writeStatement(sql, params, leavesWork(events));
  afterCommit(db, events, new Set());
  return changes;
}

/** Runs reads: inside a transaction on its connection, else on the database outside any transaction. */
export async function withRead<T>(db: Db, fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
  if (isTransaction(db)) {
    assertLive(db._tx);
    return fn(db._tx.ex);
  }
  assertOpen(db);
  return db._backend.read(fn);
}

/** The root database of a handle. */
export function rootOf(db: Db): Database {
  return isTransaction(db) ? db._tx.root : db;
}

/**
 * Runs several operations in one transaction: pass the `tx` handle to each of them. All of
 * them commit together or none does. On SQLite the transaction holds the write lock until it
 * ends: keep slow I/O outside.
 *
 * @example
 * await transaction(db, async (tx) => {
 *   const a = await createTask(tx, { title: "build", taskType: "build" });
 *   await createTask(tx, { title: "ship", taskType: "deployment", dependsOn: [a.id] });
 * });
 */
export async function transaction<T>(db: Db, fn: (tx: Transaction) => Promise<T>): Promise<T> {
  return withTx(db, (state) => {
    const handle: Transaction = { kind: state.root.kind, events: state.root.events, _tx: state };
    if (isTransaction(db)) return fn(handle);
    // Its operations run one at a time, however they are called (see currentFrame).
    return inRootFrame(state, () =>
      // PostgreSQL runs a root operation on another connection: no hang to refuse there.
      state.root.kind !== "sqlite" ? fn(handle) : inCallerTx(state, fn, handle),
    );
  });
}
