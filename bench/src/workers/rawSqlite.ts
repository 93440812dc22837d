/**
 * The raw better-sqlite3 baseline: Hive's claim and completion statements on Hive's schema,
 * prepared once, with nothing around them. Batched mode claims `2 × concurrency` tasks in one
 * transaction and completes them in one (what Hive's Worker aims at); naive mode runs
 * `concurrency` loops that each claim one task per transaction and complete it in another.
 */
import BetterSqlite3 from "better-sqlite3";
import {
  COMPLETE_RUN,
  COMPLETE_TASK,
  INSERT_RUN,
  REGISTER_WORKER,
  RELEASE_DEPENDENTS,
  SQLITE_CLAIM,
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
  const batch = num(spec.target, "batch");
  const workerId = `raw-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const ts0 = Date.now();
  conn.prepare(REGISTER_WORKER).run(workerId, ts0, ts0);
  const seen = conn.prepare(WORKER_SEEN);
  const claimStmt = conn.prepare(SQLITE_CLAIM);
  const insertRun = conn.prepare(INSERT_RUN);
  const completeTask = conn.prepare(COMPLETE_TASK);
  const completeRun = conn.prepare(COMPLETE_RUN);
  const release = conn.prepare(RELEASE_DEPENDENTS);

  const claimTx = conn.transaction((limit: number): Claimed[] => {
    const ts = Date.now();
    seen.run(ts, workerId);
    const rows = claimStmt.all(workerId, ts + 30_000, ts, ts, null, null, "[]", limit) as Claimed[];
    for (const r of rows) insertRun.run(crypto.randomUUID(), r.id, workerId, r.attempts, r.current_phase, ts);
    return rows;
  });
  const completeTx = conn.transaction((rows: Claimed[]) => {
    const ts = Date.now();
    for (const r of rows) {
      if (completeTask.run(null, ts, ts, r.id, r.lease_token).changes !== 1)
        throw new Error(`raw baseline lost the lease of ${r.id}`);
      completeRun.run(ts, null, r.id, r.attempts);
      release.run(ts, r.id);
    }
  });
  // BEGIN IMMEDIATE, as Hive's write transactions: no deadlock upgrading a read lock.
  const claim = (limit: number) => claimTx.immediate(limit);
  const complete = (rows: Claimed[]) => completeTx.immediate(rows);
  const handler = async (r: Claimed) => {
    onExecute((JSON.parse(r.payload) as { i: number }).i);
  };

  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const rows = claim(batch);
      if (rows.length === 0) {
        await sleep(10);
        continue;
      }
      await Promise.all(rows.map(handler));
      complete(rows);
    }
  };
  let loops: Promise<void>[] = [];
  return {
    start: async () => {
      loops = batch === 1 ? Array.from({ length: spec.concurrency }, loop) : [loop()];
    },
    stop: async () => {
      running = false;
      await Promise.all(loops);
      conn.close();
    },
  };
};
