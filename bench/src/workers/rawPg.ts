/**
 * The raw PostgreSQL baseline: Hive's claim (SKIP LOCKED) on Hive's schema from one connection,
 * `2 × concurrency` tasks per claim transaction, the batch completed in one transaction of
 * three set-based statements. What the PostgreSQL design allows without the library around it.
 */
import pg from "pg";
import {
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

  const claim = async (): Promise<Claimed[]> => {
    const ts = Date.now();
    await client.query("BEGIN");
    try {
      await client.query(pgText(WORKER_SEEN), [ts, workerId]);
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
          ],
        });
      await client.query("COMMIT");
      return rows;
    } catch (err) {
      await client.query("ROLLBACK");
      throw err;
    }
  };
  const complete = async (rows: Claimed[]): Promise<void> => {
    const ts = Date.now();
    const ids = rows.map((r) => r.id);
    await client.query("BEGIN");
    const done = await client.query({
      name: "complete",
      text: PG_COMPLETE_TASKS,
      values: [ts, ids, rows.map((r) => r.lease_token)],
    });
    if (done.rowCount !== rows.length) {
      await client.query("ROLLBACK");
      throw new Error("raw baseline lost a lease");
    }
    await client.query({
      name: "crun",
      text: PG_COMPLETE_RUNS,
      values: [ts, ids, rows.map((r) => r.attempts)],
    });
    await client.query({ name: "release", text: PG_RELEASE_DEPENDENTS, values: [ts, ids] });
    await client.query("COMMIT");
  };

  let running = true;
  let loop: Promise<void> = Promise.resolve();
  const run = async (): Promise<void> => {
    while (running) {
      const rows = await claim();
      if (rows.length === 0) {
        await sleep(10);
        continue;
      }
      await Promise.all(
        rows.map(async (r) => {
          onExecute((JSON.parse(r.payload) as { i: number }).i);
        }),
      );
      await complete(rows);
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
