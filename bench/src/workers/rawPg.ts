/**
 * The raw PostgreSQL baseline: Hive's claim (SKIP LOCKED) and set-based completion on Hive's
 * schema from one connection, in the loop Hive's Worker runs: a claim of `batch` tasks, then one
 * transaction per batch that completes it and claims the next. What the PostgreSQL design allows
 * without the library around it.
 */
import pg from "pg";
import {
  orderedId,
  PG_CLAIM,
  PG_COMPLETE_RUNS,
  PG_COMPLETE_TASKS,
  PG_INSERT_RUNS,
  PG_RELEASE_DEPENDENTS,
  pgText,
  REGISTER_WORKER,
  WORKER_SEEN,
} from "../rawSql.ts";
import { num, type OpenWorker, str } from "./types.ts";

interface Claimed {
  id: string;
  payload: string;
  attempts: number;
  lease_token: string;
  current_phase: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const openWorker: OpenWorker = async (spec, onExecute) => {
  const client = new pg.Client({
    connectionString: str(spec.target, "url"),
    options: `-c search_path=${str(spec.target, "schema")}`,
  });
  await client.connect();
  const batch = num(spec.target, "batch");
  const workerId = `raw-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
  const ts0 = Date.now();
  await client.query(pgText(REGISTER_WORKER), [workerId, ts0, ts0]);

  // As Hive's write transactions: no bitmap scans, set in BEGIN's round trip.
  const tx = async <T>(f: () => Promise<T>): Promise<T> => {
    await client.query("BEGIN; SET LOCAL enable_bitmapscan = off");
    try {
      const out = await f();
      await client.query("COMMIT");
      return out;
    } catch (err) {
      await client.query("ROLLBACK");
      throw err;
    }
  };
  const claimIn = async (): Promise<Claimed[]> => {
    const ts = Date.now();
    await client.query({ name: "seen", text: pgText(WORKER_SEEN), values: [ts, workerId] });
    const { rows } = await client.query<Claimed>({
      name: "claim",
      text: PG_CLAIM,
      values: [workerId, ts + 30_000, ts, "[]", batch],
    });
    if (rows.length > 0)
      await client.query({
        name: "runs",
        text: PG_INSERT_RUNS,
        values: [
          workerId,
          ts,
          rows.map((r) => r.id),
          rows.map((r) => r.attempts),
          rows.map((r) => r.current_phase),
          rows.map(() => orderedId()),
        ],
      });
    return rows;
  };
  const completeIn = async (rows: Claimed[]): Promise<void> => {
    const ts = Date.now();
    const ids = rows.map((r) => r.id);
    const done = await client.query({
      name: "complete",
      text: PG_COMPLETE_TASKS,
      values: [ts, ids, rows.map((r) => r.lease_token)],
    });
    if (done.rowCount !== rows.length) throw new Error("raw baseline lost a lease");
    await client.query({
      name: "crun",
      text: PG_COMPLETE_RUNS,
      values: [ts, ids, rows.map((r) => r.attempts)],
    });
    await client.query({ name: "release", text: PG_RELEASE_DEPENDENTS, values: [ts, ids] });
  };

  let running = true;
  let loop: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    let rows: Claimed[] = [];
    while (running) {
      if (rows.length === 0) {
        rows = await tx(claimIn);
        if (rows.length === 0) await sleep(10);
        continue;
      }
      await Promise.all(
        rows.map(async (r) => {
          onExecute((JSON.parse(r.payload) as { i: number }).i);
        }),
      );
      const done = rows;
      rows = await tx(async () => {
        await completeIn(done);
        return running ? claimIn() : [];
      });
    }
  };
  return {
    start: async () => {
      loop = run();
    },
    stop: async () => {
      running = false;
      await loop;
      await client.end();
    },
  };
};
