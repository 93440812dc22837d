/** Where stores live: SQLite files in the run's temp dir, PostgreSQL schemas named after the run. */
import { rmSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { BenchContext } from "./types.ts";

let serial = 0;

/** Thrown when a store would be opened after the run was interrupted by a signal. */
export class RunInterruptedError extends Error {
  override name = "RunInterruptedError";
}

function refuseIfInterrupted(ctx: BenchContext): void {
  if (ctx.interrupted) throw new RunInterruptedError("the run was interrupted: no new store is opened");
}

/** A new SQLite file path for one store (the file does not exist yet). */
export function sqlitePath(ctx: BenchContext, name: string): string {
  refuseIfInterrupted(ctx);
  return join(ctx.tmpDir, `${name}-${++serial}.db`);
}

/** Removes a SQLite database and its WAL files. */
export function removeSqlite(path: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true });
}

/** A new PostgreSQL schema name for one store (bench_<run>_<name>_<n>). */
export function pgSchemaName(ctx: BenchContext, name: string): string {
  refuseIfInterrupted(ctx);
  return `${ctx.runId}_${name.replace(/[^a-z0-9]/g, "")}_${++serial}`;
}

/** The server URL, or an error saying PostgreSQL is needed. */
export function pgUrlOf(ctx: BenchContext): string {
  if (!ctx.pgUrl) throw new Error("PostgreSQL is not reachable");
  return ctx.pgUrl;
}

/** Drops a bench schema and everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** Drops every schema of one run (bench_<run>_…): the cleanup of an interrupted run. Returns how many it found. */
export async function dropRunSchemas(url: string, runId: string): Promise<number> {
  // A lock held by a killed worker's session is released when the server sees it gone: wait a while, not forever.
  const c = new pg.Client({
    connectionString: url,
    options: "-c lock_timeout=10000",
    connectionTimeoutMillis: 5000,
  });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)",
      [`${runId}_`],
    );
    for (const { name } of rows) await c.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    return rows.length;
  } finally {
    await c.end();
  }
}

/** Counting queries on a store, from a connection of the benchmark's own. */
export interface Counter {
  count(sql: string, params?: (string | number)[]): Promise<number>;
  close(): Promise<void>;
}

export function sqliteCounter(path: string): Counter {
  const conn = new BetterSqlite3(path, { timeout: 10_000 });
  return {
    count: async (sql, params = []) =>
      Number(
        (conn
          .prepare(sql)
          .pluck()
          .get(...params) as number) ?? 0,
      ),
    close: async () => {
      conn.close();
    },
  };
}

export async function pgCounter(url: string, schema: string): Promise<Counter> {
  const c = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await c.connect();
  return {
    count: async (sql, params = []) => {
      const r = await c.query({ text: sql, values: params, rowMode: "array" });
      return Number(r.rows[0]?.[0] ?? 0);
    },
    close: async () => {
      await c.end();
    },
  };
}

/** Problems when a count differs from what it should be. */
export function expectCount(problems: string[], what: string, got: number, want: number): void {
  if (got !== want) problems.push(`${what}: ${got}, expected ${want}`);
}
