/**
 * The raw baselines on Hive's schema (created by Hive's migrations): better-sqlite3, batched and
 * naive, and pg. Enqueue is a prepared INSERT of the same row createTask writes.
 */
import { closeDatabase, openDatabase } from "@hive/orchestration";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import {
  INSERT_TASK,
  orderedId,
  PG_INSERT_TASKS,
  PG_INSERT_TASKS_SERVER,
  pgText,
  rawTaskValues,
} from "../rawSql.ts";
import { packageVersion } from "../versions.ts";
import { HIVE_PREFETCH } from "../workers/hive.ts";
import { verifyHiveTasks } from "./hive.ts";
import {
  dropSchema,
  pgCounter,
  pgSchemaName,
  pgUrlOf,
  removeSqlite,
  sqliteCounter,
  sqlitePath,
} from "./stores.ts";
import type { Store, System } from "./types.ts";

const DONE = "SELECT count(*) FROM tasks WHERE status = 'completed'";

/** Raw better-sqlite3: `batch` tasks per claim transaction (1 = naive, one task per transaction). */
export function rawSqliteSystem(mode: "batched" | "naive", concurrency: number): System {
  // The same batch as Hive's worker in this benchmark: concurrency + its prefetch.
  const batch = mode === "batched" ? concurrency + HIVE_PREFETCH : 1;
  return {
    id: `raw-${mode}`,
    label: mode === "batched" ? "raw better-sqlite3, batched" : "raw better-sqlite3, naive",
    backend: "sqlite",
    role: "baseline",
    version: `better-sqlite3 ${packageVersion("better-sqlite3")}`,
    settings:
      mode === "batched"
        ? `Hive's set-based claim/complete SQL, prepared; claims of ${batch} tasks, each batch completed and the next claimed in one transaction (Hive's worker loop without the library)`
        : `Hive's claim/complete SQL, prepared; ${concurrency} loops, one task per claim transaction and one per completion`,
    async open(ctx): Promise<Store> {
      const path = sqlitePath(ctx, `raw-${mode}`);
      await closeDatabase(await openDatabase({ path }));
      const conn = new BetterSqlite3(path, { timeout: 10_000 });
      conn.pragma("journal_mode = WAL");
      conn.pragma("synchronous = NORMAL");
      const insert = conn.prepare(INSERT_TASK);
      const insertMany = conn.transaction((from: number, count: number) => {
        const ts = Date.now();
        for (let k = 0; k < count; k++) insert.run(...rawTaskValues(from + k, ts));
      });
      const counter = sqliteCounter(path);
      return {
        target: { worker: "raw-sqlite", path, batch },
        enqueueOne: async (i) => {
          insert.run(...rawTaskValues(i, Date.now()));
        },
        enqueueBatch: async (from, count) => {
          insertMany.immediate(from, count);
        },
        countDone: () => counter.count(DONE),
        verify: (n) => verifyHiveTasks(counter, n),
        close: async () => {
          await counter.close();
          conn.close();
          removeSqlite(path);
        },
      };
    },
  };
}

/** Raw pg: Hive's SKIP LOCKED claim and set-based completion, Hive's worker loop (see rawPg.ts). */
export function rawPgSystem(concurrency: number): System {
  const batch = concurrency + HIVE_PREFETCH;
  return {
    id: "raw-pg",
    label: "raw pg, batched",
    backend: "postgres",
    role: "baseline",
    version: `pg ${packageVersion("pg")}`,
    settings: `Hive's claim SQL (FOR UPDATE SKIP LOCKED, no bitmap scans), claims of ${batch} tasks, each batch completed (3 set-based statements) and the next claimed in one transaction; enqueue batch = one INSERT … SELECT FROM unnest`,
    async open(ctx): Promise<Store> {
      const url = pgUrlOf(ctx);
      const schema = pgSchemaName(ctx, "rawpg");
      await closeDatabase(await openDatabase({ url, schema }));
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await client.connect();
      const counter = await pgCounter(url, schema);
      return {
        target: { worker: "raw-pg", url, schema, batch },
        enqueueOne: async (i) => {
          await client.query({
            name: "insert",
            text: pgText(INSERT_TASK),
            values: rawTaskValues(i, Date.now()),
          });
        },
        enqueueBatch: async (from, count) => {
          const rows = Array.from({ length: count }, (_, k) => rawTaskValues(from + k, 0));
          await client.query({
            name: "insert-many",
            text: PG_INSERT_TASKS,
            values: [Date.now(), rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
          });
        },
        countDone: () => counter.count(DONE),
        verify: (n) => verifyHiveTasks(counter, n),
        close: async () => {
          await counter.close();
          await client.end();
          await dropSchema(url, schema);
        },
      };
    },
  };
}

/**
 * PostgreSQL alone: the enqueue's rows made by the server (PG_INSERT_TASKS_SERVER), one statement
 * per call, in Hive's schema. Not a queue: the bound that the server's writes of the tasks table
 * and its indexes put on any client's enqueue, measured in the same run as Hive's.
 */
export function pgServerSystem(): System {
  return {
    id: "pg-server",
    label: "PostgreSQL alone (rows made by the server)",
    backend: "postgres",
    role: "baseline",
    version: "the server below (Environment)",
    settings:
      "enqueue only: INSERT … SELECT FROM generate_series into Hive's tasks table, no client data (the server's write of the rows and their index entries, nothing else); one row per call, then one statement per batch",
    enqueueOnly: true,
    async open(ctx): Promise<Store> {
      const url = pgUrlOf(ctx);
      const schema = pgSchemaName(ctx, "pgserver");
      await closeDatabase(await openDatabase({ url, schema }));
      const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
      await client.connect();
      const counter = await pgCounter(url, schema);
      const prefix = orderedId().slice(0, 24); // time first, as Hive's ids; the index follows
      const insert = (from: number, count: number) =>
        client.query({
          name: "insert-server",
          text: PG_INSERT_TASKS_SERVER,
          values: [Date.now(), from, from + count - 1, prefix],
        });
      return {
        target: { worker: "raw-pg", url, schema, batch: 1 },
        enqueueOne: async (i) => {
          await insert(i, 1);
        },
        enqueueBatch: async (from, count) => {
          await insert(from, count);
        },
        countDone: () => counter.count(DONE),
        verify: async (n) => {
          const got = await counter.count("SELECT count(*) FROM tasks");
          return got === n ? [] : [`${got} tasks written, expected ${n}`];
        },
        close: async () => {
          await counter.close();
          await client.end();
          await dropSchema(url, schema);
        },
      };
    },
  };
}
