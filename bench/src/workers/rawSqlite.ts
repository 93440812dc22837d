/**
 * The raw better-sqlite3 baseline: Hive's claim and completion statements on Hive's schema,
 * prepared once, with nothing around them (no validation, row mapping, events or plan counters).
 * Batched mode runs the loop Hive's Worker runs: a claim of `batch` tasks, and one transaction
 * per batch that completes it set-based and claims the next batch. Naive mode runs
 * `concurrency` loops that each claim one task per transaction and complete it in another.
 */
import BetterSqlite3 from "better-sqlite3";
import {
  COMPLETE_RUN,
  COMPLETE_TASK,
  INSERT_RUN,
  orderedId,
  REGISTER_WORKER,
  RELEASE_DEPENDENTS,
  SQLITE_CLAIM,
  SQLITE_CLEAR_CURRENT_TASK,
  SQLITE_COMPLETE_RUNS,
  SQLITE_COMPLETE_TASKS,
  SQLITE_INSERT_RUNS,
  SQLITE_RELEASE_DEPENDENTS,
  WORKER_SEEN,
} from "../rawSql.ts";
import { num, type OpenWorker, str } from "./types.ts";

interface Claimed {
  id: string;
  payload: string;
  attempts: number;
  lease_token: number;
  current_phase: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const conn = new BetterSqlite3(str(spec.target, "path"), { timeout: 10_000 });
  conn.pragma("journal_mode = WAL");
  conn.pragma("synchronous = NORMAL");
  conn.pragma("foreign_keys = ON");
  const batch = num(spec.target, "batch");
  const workerId = `raw-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const ts0 = Date.now();
  conn.prepare(REGISTER_WORKER).run(workerId, ts0, ts0);
  const seen = conn.prepare(WORKER_SEEN);
  const claimStmt = conn.prepare(SQLITE_CLAIM);

  const claimIn = (limit: number): Claimed[] => {
    const ts = Date.now();
    seen.run(ts, workerId);
    return claimStmt.all(workerId, ts + 30_000, ts, ts, null, null, "[]", limit) as Claimed[];
  };

  // Naive: per-task statements, one task per transaction.
  const insertRun = conn.prepare(INSERT_RUN);
  const completeTask = conn.prepare(COMPLETE_TASK);
  const completeRun = conn.prepare(COMPLETE_RUN);
  const release = conn.prepare(RELEASE_DEPENDENTS);
  const claimOneTx = conn.transaction((): Claimed[] => {
    const rows = claimIn(1);
    const ts = Date.now();
    for (const r of rows) insertRun.run(orderedId(), r.id, workerId, r.attempts, r.current_phase, ts);
    return rows;
  });
  const completeOneTx = conn.transaction((r: Claimed) => {
    const ts = Date.now();
    if (completeTask.run(null, ts, ts, r.id, r.lease_token).changes !== 1)
      throw new Error(`raw baseline lost the lease of ${r.id}`);
    completeRun.run(ts, null, r.id, r.attempts);
    release.run(ts, r.id);
  });

  // Batched: Hive's set-based statements, the batch bound as one JSON parameter.
  const insertRuns = conn.prepare(SQLITE_INSERT_RUNS);
  const completeTasks = conn.prepare(SQLITE_COMPLETE_TASKS);
  const completeRuns = conn.prepare(SQLITE_COMPLETE_RUNS);
  const clearCurrent = conn.prepare(SQLITE_CLEAR_CURRENT_TASK);
  const releaseAll = conn.prepare(SQLITE_RELEASE_DEPENDENTS);
  const claimBatch = (): Claimed[] => {
    const rows = claimIn(batch);
    if (rows.length > 0)
      insertRuns.run(
        workerId,
        Date.now(),
        JSON.stringify(rows.map((r) => ({ run: orderedId(), id: r.id, phase: r.current_phase }))),
      );
    return rows;
  };
  const claimBatchTx = conn.transaction(claimBatch);
  const completeAndClaimTx = conn.transaction((done: Claimed[], next: boolean): Claimed[] => {
    const ts = Date.now();
    const json = JSON.stringify(
      done.map((r) => ({ id: r.id, token: r.lease_token, result: null, log: null })),
    );
    const completed = completeTasks.all(ts, ts, json) as { id: string }[];
    if (completed.length !== done.length) throw new Error("raw baseline lost a lease");
    completeRuns.run(ts, json);
    const ids = JSON.stringify(completed.map((r) => r.id));
    clearCurrent.run(ids);
    releaseAll.run(ts, ids);
    return next ? claimBatch() : [];
  });

  const handler = async (r: Claimed) => {
    onExecute((JSON.parse(r.payload) as { i: number }).i);
  };

  let running = true;
  // BEGIN IMMEDIATE, as Hive's write transactions: no deadlock upgrading a read lock.
  const naiveLoop = async (): Promise<void> => {
    while (running) {
      const [row] = claimOneTx.immediate();
      if (!row) {
        await sleep(10);
        continue;
      }
      await handler(row);
      completeOneTx.immediate(row);
    }
  };
  const batchedLoop = async (): Promise<void> => {
    let rows: Claimed[] = [];
    while (running) {
      if (rows.length === 0) {
        rows = claimBatchTx.immediate();
        if (rows.length === 0) await sleep(10);
        continue;
      }
      await Promise.all(rows.map(handler));
      rows = completeAndClaimTx.immediate(rows, running);
    }
  };
  let loops: Promise<void>[] = [];
  return {
    start: async () => {
      loops = batch === 1 ? Array.from({ length: spec.concurrency }, naiveLoop) : [batchedLoop()];
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      conn.close();
    },
  };
};
