import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Worker as Thread } from "node:worker_threads";
import BetterSqlite3 from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { type Checkpointer, FALLBACK_AUTOCHECKPOINT_PAGES, startCheckpointer } from "./checkpointer.ts";
import { DatabaseBusyError, DatabaseOpenError, SchemaVersionError } from "./errors.ts";
import type { Backend } from "./handle.ts";
import { latestKnownMigration, SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import { Mutex } from "./mutex.ts";
import type { SqlExecutor, SqlParam } from "./sql.ts";

export interface SqliteOptions {
  path: string;
  migrate: boolean;
  busyTimeoutMs: number;
  readonly?: boolean;
  /** Checkpoint on a background thread once the connection writes (default true). */
  backgroundCheckpoints?: boolean;
}

/** How often idle listeners check for commits by other connections (see onWake). */
const WAKE_POLL_MS = 5;

/**
 * Page size of a database file this backend creates. 4 KiB, not 8: a commit writes a WAL frame
 * per page it dirtied, and a one-task commit dirties about three (the row, its id and claim
 * index entries), so 8 KiB pages wrote twice the bytes for the same change. Measured (a
 * createTask loop of 20,000, five alternating pairs): 18.5-22.3k → 23.0-30.0k tasks/s at 4 KiB;
 * batches of 1,000 and processing level within the noise.
 */
const PAGE_SIZE = 4096;

/** SQLite's own auto-checkpoint threshold, given back if the background checkpointer dies. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** Write transactions after which a connection starts its background checkpointer. */
const CHECKPOINTER_AFTER_COMMITS = 64;

/** Prepared statements kept per cache (see `statement`). */
const STATEMENT_CACHE_MAX = 500;

/**
 * The embedded backend: one better-sqlite3 connection per handle, WAL, foreign keys on,
 * synchronous=NORMAL, a busy timeout. Statements are prepared once and cached by their text.
 */
export class SqliteBackend implements Backend {
  readonly kind = "sqlite" as const;
  private readonly mutex = new Mutex();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** The same, in raw mode (rows as arrays): a statement's mode is part of it. */
  private readonly rawStatements = new Map<string, BetterSqlite3.Statement>();
  private readonly executor: SqlExecutor;
  private readonly wakeListeners = new Set<() => void>();
  private wakeTimer: NodeJS.Timeout | null = null;
  private checkpointer: Checkpointer | null = null;
  /** Write transactions committed until the checkpointer starts; -1 once it has (or never will). */
  private commitsBeforeCheckpointer = CHECKPOINTER_AFTER_COMMITS;

  private constructor(
    readonly conn: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
    backgroundCheckpoints: boolean,
  ) {
    if (!backgroundCheckpoints || conn.readonly || conn.memory) this.commitsBeforeCheckpointer = -1;
    // SAVEPOINT / RELEASE / ROLLBACK TO are prepared and cached too: a batch of failures runs
    // two of them per item, and exec() would parse them every time.
    this.executor = {
      dialect: "sqlite",
      all: async <T>(sql: string, params: readonly SqlParam[] = []) =>
        this.statement(sql).all(...params) as T[],
      get: async <T>(sql: string, params: readonly SqlParam[] = []) =>
        this.statement(sql).get(...params) as T | undefined,
      run: async (sql: string, params: readonly SqlParam[] = []) => ({
        changes: this.statement(sql).run(...params).changes,
      }),
      values: async (sql: string, params: readonly SqlParam[] = []) =>
        this.statement(sql, true).all(...params) as unknown[][],
    };
  }

  /**
   * The prepared statement of this text (prepared on first use), in raw mode if asked. Each cache
   * keeps at most STATEMENT_CACHE_MAX texts, dropping the oldest: texts built for a size (IN lists,
   * multi-row inserts) must not grow it without bound in a long-lived process.
   */
  private statement(sql: string, raw = false): BetterSqlite3.Statement {
    const cache = raw ? this.rawStatements : this.statements;
    let s = cache.get(sql);
    if (!s) {
      if (cache.size >= STATEMENT_CACHE_MAX) cache.delete(cache.keys().next().value!);
      s = this.conn.prepare(sql);
      if (raw) s.raw(true);
      cache.set(sql, s);
    }
    return s;
  }

  static open(opts: SqliteOptions): SqliteBackend {
    const path = opts.path === ":memory:" ? ":memory:" : resolve(opts.path);
    if (path !== ":memory:") {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        throw new DatabaseOpenError(
          `cannot create the directory for database "${path}": ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    let conn: BetterSqlite3.Database;
    try {
      conn = new BetterSqlite3(path, { timeout: opts.busyTimeoutMs, readonly: opts.readonly ?? false });
    } catch (err) {
      throw new DatabaseOpenError(`cannot open database "${path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      // Reading the schema first fails fast (SQLITE_NOTADB) on a file that is not a database,
      // before any pragma could write to it.
      const objects = conn.prepare("SELECT count(*) FROM sqlite_master").pluck().get() as number;
      // A new file gets PAGE_SIZE pages (set before WAL and the first table; an existing file
      // keeps its own).
      if (objects === 0 && !opts.readonly && path !== ":memory:") conn.pragma(`page_size = ${PAGE_SIZE}`);
      if (!opts.readonly) conn.pragma("journal_mode = WAL");
      conn.pragma("foreign_keys = ON");
      conn.pragma("synchronous = NORMAL");
      const busyTimeoutMs = Math.max(0, Math.floor(opts.busyTimeoutMs));
      conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
      const backend = new SqliteBackend(conn, busyTimeoutMs, opts.backgroundCheckpoints ?? true);
      if (opts.migrate) backend.migrate();
      else backend.checkNotNewer();
      return backend;
    } catch (err) {
      conn.close();
      if (err instanceof DatabaseOpenError) throw err;
      const code = (err as { code?: string }).code;
      if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT")
        throw new DatabaseOpenError(
          `"${path}" is not a SQLite database (or is corrupt); refusing to touch it`,
          {
            cause: err,
          },
        );
      throw new DatabaseOpenError(`cannot open database "${path}": ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Refuses a database migrated by a newer version of this code (it may not understand it). */
  checkNotNewer(): void {
    const known = latestKnownMigration(SQLITE_MIGRATIONS_DIR);
    const hasTable = this.conn
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
      .get();
    if (!hasTable) return;
    const row = this.conn
      .prepare("SELECT count(*) AS n, max(created_at) AS last FROM __drizzle_migrations")
      .get() as {
      n: number;
      last: number | null;
    };
    if (row.n > known.count || (row.last ?? 0) > known.when)
      throw new SchemaVersionError(
        `the database was migrated by a newer version of Hive (${row.n} migrations applied, this code knows ${known.count}); upgrade Hive instead of opening it with this version`,
      );
  }

  migrate(): void {
    this.checkNotNewer();
    migrate(drizzle(this.conn), { migrationsFolder: SQLITE_MIGRATIONS_DIR });
  }

  /**
   * Takes the write lock without blocking the process, by running `take` (BEGIN IMMEDIATE, or a
   * write statement in autocommit) with the busy handler off. SQLite's busy handler sleeps the
   * whole thread between tries (1, 2, 5, 10, 15, 20, 25… ms), so with several writer processes
   * on one file a worker's handlers and heartbeats stalled while it waited, and it often slept
   * well past the lock's release. Here, while another connection holds the lock, `take` is tried
   * again after short jittered async waits (up to ~4 ms) until busyTimeoutMs has passed; then
   * DatabaseBusyError (code SQLITE_BUSY, the driver's error its cause).
   */
  private async withLock<T>(take: () => T): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    this.statement("PRAGMA busy_timeout = 0").run();
    try {
      for (let wait = 1; ; wait = Math.min(wait * 2, 4)) {
        try {
          return take();
        } catch (err) {
          // SQLITE_BUSY and its extended codes (_SNAPSHOT, _RECOVERY): nothing was written.
          const code = String((err as { code?: string }).code);
          if (!code.startsWith("SQLITE_BUSY")) throw err;
          if (Date.now() >= deadline)
            throw new DatabaseBusyError(
              `the database is locked by another connection: waited ${this.busyTimeoutMs} ms (busyTimeoutMs) for its write lock; nothing was written`,
              code,
              { cause: err },
            );
        }
        await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
      }
    } finally {
      this.statement(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`).run();
    }
  }

  transaction<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    return this.mutex.run(async () => {
      await this.withLock(() => this.conn.exec("BEGIN IMMEDIATE"));
      try {
        const result = await fn(this.executor);
        this.conn.exec("COMMIT");
        this.committed();
        return result;
      } catch (err) {
        if (this.conn.inTransaction) this.conn.exec("ROLLBACK");
        throw err;
      }
    });
  }

  /**
   * One write statement in autocommit: SQLite's implicit transaction takes the lock, writes and
   * commits in the one step, where BEGIN IMMEDIATE, the statement and COMMIT were three (a
   * createTask loop: ~10 % faster). No wake-up to send: other connections see the commit itself.
   */
  writeStatement(sql: string, params: readonly SqlParam[]): Promise<number> {
    return this.mutex.run(async () => {
      const changes = await this.withLock(() => this.statement(sql).run(...params).changes);
      this.committed();
      return changes;
    });
  }

  /** After a write transaction's commit: the checkpointer starts after the first few. */
  private committed(): void {
    if (this.commitsBeforeCheckpointer > 0 && --this.commitsBeforeCheckpointer === 0)
      this.startCheckpointer();
  }

  read<T>(fn: (ex: SqlExecutor) => Promise<T>): Promise<T> {
    return this.mutex.run(() => fn(this.executor));
  }

  /**
   * Cross-process wake-ups without a server: while someone listens, PRAGMA data_version (a
   * per-connection counter that moves when another connection commits; no table read, no lock)
   * is read every few ms, and listeners are called when it moves. Idle workers then see work
   * queued by another process within milliseconds instead of at their next backoff poll.
   */
  async onWake(cb: () => void): Promise<() => void> {
    this.wakeListeners.add(cb);
    if (!this.wakeTimer) {
      let seen = this.dataVersion();
      this.wakeTimer = setInterval(() => {
        if (!this.conn.open) return;
        const v = this.dataVersion();
        if (v === seen) return;
        seen = v;
        for (const l of this.wakeListeners) l();
      }, WAKE_POLL_MS);
      this.wakeTimer.unref();
    }
    return () => {
      this.wakeListeners.delete(cb);
      if (this.wakeListeners.size === 0 && this.wakeTimer) {
        clearInterval(this.wakeTimer);
        this.wakeTimer = null;
      }
    };
  }

  /** Moves when another connection commits (never for this connection's own commits). */
  private dataVersion(): number {
    return this.conn.pragma("data_version", { simple: true }) as number;
  }

  async changeCounter(): Promise<number | null> {
    return this.dataVersion();
  }

  /** Pragmas in effect (for tests and `hive status`). */
  pragmas(): Record<string, unknown> {
    return {
      journal_mode: this.conn.pragma("journal_mode", { simple: true }),
      foreign_keys: this.conn.pragma("foreign_keys", { simple: true }),
      synchronous: this.conn.pragma("synchronous", { simple: true }),
      busy_timeout: this.conn.pragma("busy_timeout", { simple: true }),
      page_size: this.conn.pragma("page_size", { simple: true }),
    };
  }

  /** Raw statements for integrity checks and tests. */
  rawAll<T>(sql: string, ...params: SqlParam[]): T[] {
    return this.conn.prepare(sql).all(...params) as T[];
  }

  /**
   * SQLite checkpoints the WAL (copies its pages into the database file and fsyncs it) inside
   * the COMMIT that takes it past wal_autocheckpoint pages, on the writer's thread: on this
   * project's machines a fsync of ~4 ms every ~300 single-task commits, half the time of a
   * createTask loop. A connection that writes hands that to a thread of its own (checkpointer.ts)
   * after its first CHECKPOINTER_AFTER_COMMITS commits (a short-lived CLI never starts one), and
   * raises its own threshold to FALLBACK_AUTOCHECKPOINT_PAGES, which bounds the WAL should the
   * thread fall behind or stop.
   */
  private startCheckpointer(): void {
    this.commitsBeforeCheckpointer = -1;
    try {
      this.checkpointer = startCheckpointer(this.conn.name, () => {
        this.checkpointer = null;
        if (this.conn.open) this.conn.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
      });
      this.conn.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    } catch {
      this.checkpointer = null; // no thread: SQLite's own auto-checkpoint goes on as before
    }
  }

  /** Whether a background checkpointer runs for this connection (tests). */
  get checkpointsInBackground(): boolean {
    return this.checkpointer !== null;
  }

  /** The checkpointer's thread, if one runs (tests). */
  get checkpointerThread(): Thread | null {
    return this.checkpointer?.thread ?? null;
  }

  async close(): Promise<void> {
    if (this.wakeTimer) clearInterval(this.wakeTimer);
    this.wakeTimer = null;
    await this.checkpointer?.stop();
    this.checkpointer = null;
    await this.mutex.run(async () => {
      if (this.conn.open) this.conn.close();
    });
  }
}
