import { resolve } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import pg from "pg";
import {
  CommitOutcomeUnknownError,
  ConnectionLostError,
  DatabaseBusyError,
  DatabaseOpenError,
  SchemaVersionError,
} from "./errors.ts";
import type { Backend } from "./handle.ts";
import { latestKnownMigration, SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import type { SqlExecutor, SqlParam } from "./sql.ts";

/** The PostgreSQL migrations folder (top-level migrations-pg/). */
export const PG_MIGRATIONS_DIR = resolve(SQLITE_MIGRATIONS_DIR, "../migrations-pg");

export interface PostgresOptions {
  url: string;
  /** Schema holding Hive's tables (default "public"); created if missing. */
  schema: string;
  migrate: boolean;
  poolSize: number;
  /** Attempts for a transaction failing with a transient error (default 5). */
  maxTransactionAttempts: number;
  /**
   * Sessions with `default_transaction_read_only` on, so the server refuses every write (error
   * 25006); nothing is created or migrated on open (default false).
   */
  readonly?: boolean;
}

// BIGINT (timestamps, counts) as JS numbers: milliseconds fit in 2^53.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * `?` placeholders → `$1..$n` (our SQL has no `?` inside literals), and a name per statement
 * text: node-postgres prepares a named statement once per connection and then only binds and
 * executes it, so the server does not parse and plan the claim and completion statements on
 * every call (that was most of a claim's time).
 */
const converted = new Map<string, { name: string; text: string }>();
function toPg(sql: string): { name: string; text: string } {
  let out = converted.get(sql);
  if (out === undefined) {
    let i = 0;
    out = { name: `hive_${converted.size}`, text: sql.replace(/\?/g, () => `$${++i}`) };
    converted.set(sql, out);
  }
  return out;
}

/**
 * serialization_failure, deadlock_detected, connection errors: the attempt rolled back and the
 * same work may well succeed again. Never after a COMMIT was sent (see transaction).
 */
const TRANSIENT = new Set(["40001", "40P01", "57P01", "08006", "08003", "08000", "ECONNRESET"]);
/**
 * unique_violation: retried once only, for the library's lost insert races (two createTask with
 * one new idempotency key, two materialisations of one plan). The loser's INSERT waited for the
 * winner's commit, so its second attempt sees the winner's row and returns it; a second
 * violation is a real duplicate, which re-running the caller's whole function would not change.
 */
const UNIQUE_VIOLATION = "23505";
/**
 * node-postgres reports a connection that died under a query, or a pooled client whose
 * connection had already failed, with no code, only these messages (a backend terminated by
 * pg_terminate_backend gives them as often as 57P01). Nothing was committed by such an attempt
 * (a COMMIT in flight is CommitOutcomeUnknownError before this is asked), so it is retried.
 */
const CONNECTION_LOST = /Connection terminated|not queryable|ECONNRESET|ECONNREFUSED|EPIPE/;
/** The connection went away under the call: the server ended it, or the driver lost it. */
const isConnectionLoss = (err: unknown) => {
  const code = (err as { code?: string }).code;
  if (code !== undefined) return ["57P01", "08006", "08003", "08000", "ECONNRESET"].includes(code);
  return CONNECTION_LOST.test(String((err as Error)?.message));
};
const isTransient = (err: unknown, attempt: number) => {
  const code = String((err as { code?: string }).code);
  if (TRANSIENT.has(code) || (code === UNIQUE_VIOLATION && attempt === 1)) return true;
  return isConnectionLoss(err);
};
/**
 * An error that the server sent in reply (severity ERROR) ends the transaction rolled back, even
 * in reply to COMMIT. Anything else while COMMIT was in flight (the connection reset or closed, a
 * FATAL) may have come after the server committed.
 */
const rolledBackByServer = (err: unknown) => (err as { severity?: string }).severity === "ERROR";

function executorFor(client: pg.PoolClient | pg.Pool): SqlExecutor {
  const q = async (sql: string, params: readonly SqlParam[] = []) =>
    client.query({ ...toPg(sql), values: params as unknown[] });
  return {
    dialect: "postgres",
    all: async <T>(sql: string, params?: readonly SqlParam[]) => (await q(sql, params)).rows as T[],
    get: async <T>(sql: string, params?: readonly SqlParam[]) =>
      (await q(sql, params)).rows[0] as T | undefined,
    run: async (sql: string, params?: readonly SqlParam[]) => ({
      changes: (await q(sql, params)).rowCount ?? 0,
    }),
    values: async (sql: string, params: readonly SqlParam[] = []) =>
      (await client.query({ ...toPg(sql), values: params as unknown[], rowMode: "array" }))
        .rows as unknown[][],
  };
}

/**
 * The server backend: a pg connection pool; each transaction on its own connection, claims with
 * FOR UPDATE SKIP LOCKED, transient errors retried within a bound, and LISTEN/NOTIFY to wake
 * idle workers across machines.
 */
/**
 * The connection settings of `url` with Hive's schema first on the search_path. node-postgres
 * lets a URL's own `options` parameter replace the `options` beside it, so a URL carrying, say,
 * `?options=-c statement_timeout=5000` silently dropped the search_path and Hive read and
 * migrated the tables of `public`. The URL's options are kept, the search_path appended last.
 */
function connectionWithSchema(
  url: string,
  schema: string,
  readonly = false,
): { connectionString: string; options: string } {
  // Quoted: unquoted, PostgreSQL folds the name to lower case, and a schema created as
  // "MySchema" (CREATE SCHEMA quotes it) was never on the path. Read-only is a session default
  // (set on connect, no round trip of its own), last too so that the URL cannot turn it off.
  const searchPath = `-c search_path="${schema}"${readonly ? " -c default_transaction_read_only=on" : ""}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { connectionString: url, options: searchPath };
  }
  const own = parsed.searchParams.get("options");
  if (own === null) return { connectionString: url, options: searchPath };
  parsed.searchParams.delete("options");
  return { connectionString: parsed.toString(), options: `${own} ${searchPath}` };
}

export class PostgresBackend implements Backend {
  readonly kind = "postgres" as const;
  private listener: pg.Client | null = null;
  private readonly wakeListeners = new Set<() => void>();
  private closed = false;

  private constructor(
    readonly pool: pg.Pool,
    private readonly opts: PostgresOptions,
  ) {}

  static async open(opts: PostgresOptions): Promise<PostgresBackend> {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.schema))
      throw new DatabaseOpenError(`invalid PostgreSQL schema name "${opts.schema}"`);
    const pool = new pg.Pool({
      ...connectionWithSchema(opts.url, opts.schema, opts.readonly),
      max: opts.poolSize,
      types,
    } as pg.PoolConfig);
    pool.on("error", () => {
      // An idle client died (server restart); the pool replaces it. Queries report their own errors.
    });
    pool.on("connect", (client) => {
      // A connection dropped while checked out also emits "error" on its client; unhandled, that
      // would crash the process. The failing query rejects on its own and the transaction retries.
      client.on("error", () => {});
    });
    const backend = new PostgresBackend(pool, opts);
    try {
      // A read-only session may not run CREATE SCHEMA, even IF NOT EXISTS.
      if (!opts.readonly) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
      if (opts.migrate) await backend.migrate();
      else await backend.checkNotNewer();
    } catch (err) {
      await pool.end().catch(() => {});
      if (err instanceof DatabaseOpenError) throw err;
      throw new DatabaseOpenError(`cannot open PostgreSQL database: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return backend;
  }

  private async checkNotNewer(): Promise<void> {
    const known = latestKnownMigration(PG_MIGRATIONS_DIR);
    const r = await this.pool
      .query(
        `SELECT count(*) AS n, max(created_at) AS last FROM information_schema.tables t
       LEFT JOIN "${this.opts.schema}".__drizzle_migrations m ON true
       WHERE t.table_schema = $1 AND t.table_name = '__drizzle_migrations'`,
        [this.opts.schema],
      )
      .catch(() => null);
    const row = r?.rows[0] as { n: number; last: number | null } | undefined;
    if (row && (row.n > known.count || (row.last ?? 0) > known.when))
      throw new SchemaVersionError(
        `the database was migrated by a newer version of Hive (${row.n} migrations applied, this code knows ${known.count}); upgrade Hive instead`,
      );
  }

  /** Applies migrations under an advisory lock, so several processes may open at once. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext($1))", [`hive-migrate-${this.opts.schema}`]);
      try {
        await this.checkNotNewer();
        await this.applyMigrations(client);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext($1))", [`hive-migrate-${this.opts.schema}`]);
      }
    } finally {
      client.release();
    }
  }

  /**
   * drizzle-kit writes `"public".` into foreign keys; Hive's tables may live in another schema, so
   * migrations are applied here with the schema substituted, recorded in the same table layout
   * drizzle's migrator uses (__drizzle_migrations: hash, created_at).
   */
  private async applyMigrations(client: pg.PoolClient): Promise<void> {
    const schema = this.opts.schema;
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${schema}".__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const done = await client.query(`SELECT max(created_at) AS last FROM "${schema}".__drizzle_migrations`);
    const last = Number(done.rows[0]?.last ?? 0);
    for (const m of readMigrationFiles({ migrationsFolder: PG_MIGRATIONS_DIR })) {
      if (m.folderMillis <= last) continue;
      await client.query("BEGIN");
      try {
        for (const stmt of m.sql) {
          const text = stmt.replaceAll('"public".', `"${schema}".`).trim();
          if (text) await client.query(text);
        }
        await client.query(
          `INSERT INTO "${schema}".__drizzle_migrations (hash, created_at) VALUES ($1, $2)`,
          [m.hash, m.folderMillis],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        throw err;
      }
    }
  }

  async transaction<T>(fn: (ex: SqlExecutor) => Promise<T>, wakes?: () => boolean): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let client: pg.PoolClient;
      try {
        client = await this.pool.connect();
      } catch (err) {
        await this.retryAfter(err, attempt); // a connection refused or lost while opening
        continue;
      }
      let broken = false;
      let committing = false;
      try {
        // Without fresh statistics (a table just filled) the planner picks a bitmap scan of every
        // queued task and sorts them all for each claim (20 ms at 20k queued) where the claim
        // index yields them in order. Write transactions look rows up by key, never need one, and
        // the setting rides BEGIN's round trip instead of costing one per claim.
        await client.query("BEGIN; SET LOCAL enable_bitmapscan = off");
        const result = await fn(executorFor(client));
        // NOTIFY rides COMMIT's round trip and is delivered only if the commit succeeds.
        const commit = wakes?.() ? `NOTIFY ${this.channel}; COMMIT` : "COMMIT";
        committing = true;
        await client.query(commit);
        return result;
      } catch (err) {
        // The server may have committed and its reply been lost: running `fn` again could do its
        // work twice (two tasks, a completed task's completion refused as a lost lease).
        if (committing && !rolledBackByServer(err)) {
          broken = true;
          throw new CommitOutcomeUnknownError(
            `the connection to PostgreSQL failed while the transaction was committing (${(err as Error).message}), so it may or may not have committed; it was not retried. Read back what it wrote before doing it again`,
            { cause: err },
          );
        }
        try {
          await client.query("ROLLBACK");
        } catch {
          broken = true;
        }
        await this.retryAfter(err, attempt);
      } finally {
        client.release(broken);
      }
    }
  }

  /**
   * Autocommit: the statement is its own transaction, one round trip. The wake-up is
   * `RETURNING pg_notify(…)`: the server sends it when the statement commits, once however many
   * rows it returns (identical notifications of one transaction are folded into one). Retried
   * on the errors a transaction is retried on, which the statement's contract makes safe.
   */
  async writeStatement(sql: string, params: readonly SqlParam[], wake: boolean): Promise<number> {
    const text = wake ? `${sql} RETURNING pg_notify(?, '')` : sql;
    const values = wake ? [...params, this.channel] : params;
    for (let attempt = 1; ; attempt++) {
      try {
        return (await this.pool.query({ ...toPg(text), values: values as unknown[] })).rowCount ?? 0;
      } catch (err) {
        await this.retryAfter(err, attempt);
      }
    }
  }

  /** After a failed attempt: rethrows `err` when it is the last or not transient, else waits a jittered while. */
  private async retryAfter(err: unknown, attempt: number): Promise<void> {
    if (attempt >= this.opts.maxTransactionAttempts || !isTransient(err, attempt)) {
      // lock_not_available: a lock wait ran past the session's lock_timeout; the attempt rolled back.
      if ((err as { code?: string }).code === "55P03")
        throw new DatabaseBusyError(
          `a lock was not granted within the session's lock_timeout (${(err as Error).message}); nothing was written`,
          "55P03",
          { cause: err },
        );
      // Every attempt lost its connection: a typed error, not whichever driver message came last.
      if (isConnectionLoss(err))
        throw new ConnectionLostError(
          `the connection to PostgreSQL was lost on each of ${attempt} attempts (last: ${(err as Error).message}); the call gave up`,
          { cause: err },
        );
      throw err;
    }
    await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
  }

  /** Reads run again after a lost connection (they write nothing, so running twice is safe). */
  async read<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(executorFor(this.pool));
      } catch (err) {
        await this.retryAfter(err, attempt);
      }
    }
  }

  async changeCounter(): Promise<number | null> {
    return null;
  }

  /**
   * The LISTEN/NOTIFY channel of this schema's workers, in lower case: LISTEN and NOTIFY name it
   * unquoted (PostgreSQL folds it so), pg_notify as written.
   */
  private get channel(): string {
    return `hive_${this.opts.schema}`.toLowerCase();
  }

  /**
   * Calls `cb` when any process notifies; starts a dedicated LISTEN connection on first use and
   * re-opens it (with backoff) if it drops, so wake-ups resume after a server restart. Workers
   * keep polling meanwhile.
   */
  async onWake(cb: () => void): Promise<() => void> {
    this.wakeListeners.add(cb);
    if (!this.listener) await this.listen();
    return () => this.wakeListeners.delete(cb);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client(connectionWithSchema(this.opts.url, this.opts.schema, this.opts.readonly));
    this.listener = client;
    client.on("notification", () => {
      for (const l of this.wakeListeners) l();
    });
    client.on("error", () => {
      if (this.listener !== client) return;
      this.listener = null;
      void client.end().catch(() => {});
      this.relisten(1);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      if (this.listener === client) this.listener = null;
      await client.end().catch(() => {});
      throw err;
    }
  }

  private relisten(attempt: number): void {
    if (this.closed || this.wakeListeners.size === 0) return;
    const t = setTimeout(
      () => {
        if (this.closed || this.listener) return;
        this.listen().then(
          // A notification may have been missed while disconnected: wake everyone once.
          () => {
            for (const l of this.wakeListeners) l();
          },
          () => this.relisten(attempt + 1),
        );
      },
      Math.min(5000, 100 * 2 ** attempt),
    );
    t.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    const l = this.listener;
    this.listener = null;
    if (l) await l.end().catch(() => {});
    await this.pool.end();
  }
}
