import { resolve } from "node:path";
import { z } from "zod";
import { EventBus } from "./events.ts";
import type { Backend, Database } from "./handle.ts";
import { SqliteBackend } from "./sqlite.ts";
import { parseInput } from "./validate.ts";

/** Default database file, relative to the working directory. */
export const DEFAULT_DB_PATH = "hive/db/hive-internal.db";

const OpenOptionsSchema = z.strictObject({
  /** SQLite file. Default: $HIVE_DB_PATH, else hive/db/hive-internal.db under the working directory. */
  path: z.string().min(1).optional(),
  /** Apply pending migrations on open (default true). */
  migrate: z.boolean().default(true),
  /** How long a writer waits for another process's lock, in ms (default 10 s). */
  busyTimeoutMs: z.number().int().min(0).default(10_000),
  readonly: z.boolean().default(false),
  /**
   * SQLite: checkpoint the WAL on a background thread instead of inside the COMMIT that fills
   * it (default true; see sqlite.ts). False keeps SQLite's own auto-checkpoint.
   */
  backgroundCheckpoints: z.boolean().default(true),
  /** PostgreSQL connection URL; selects the PostgreSQL backend. Default: $HIVE_DATABASE_URL. */
  url: z.string().min(1).optional(),
  /** PostgreSQL schema for Hive's tables (default $HIVE_DATABASE_SCHEMA or "public"). */
  schema: z.string().min(1).optional(),
  /** PostgreSQL pool size (default 10). */
  poolSize: z.number().int().min(1).max(1000).default(10),
});
export type OpenDatabaseOptions = z.input<typeof OpenOptionsSchema>;

/** The SQLite path that `openDatabase` would use for these options. */
export function resolveDatabasePath(path?: string): string {
  const chosen = path ?? process.env.HIVE_DB_PATH ?? DEFAULT_DB_PATH;
  return chosen === ":memory:" ? chosen : resolve(chosen);
}

/**
 * A daemon's database from its flags and environment, the same for every app: a flag wins over
 * the environment (a --database-url flag over $HIVE_DB_PATH too), and the SQLite path over the
 * URL where both come from the same place.
 */
export function databaseFromFlags(
  flags: { db?: string | undefined; databaseUrl?: string | undefined },
  env: Readonly<Record<string, string | undefined>>,
): { dbPath: string | undefined; databaseUrl: string | undefined } {
  return {
    dbPath: flags.db ?? (flags.databaseUrl ? undefined : env.HIVE_DB_PATH),
    databaseUrl: flags.databaseUrl ?? env.HIVE_DATABASE_URL,
  };
}

class DatabaseHandle implements Database {
  readonly events = new EventBus();
  readonly _planStatusCache = new Map<string, { status: string; counter: number | null }>();
  closed = false;
  constructor(
    readonly _backend: Backend,
    readonly location: string,
  ) {}
  get kind() {
    return this._backend.kind;
  }
}

/** Wraps an opened backend into a database handle (used by the PostgreSQL backend too). */
export function databaseFromBackend(backend: Backend, location: string): Database {
  return new DatabaseHandle(backend, location);
}

/**
 * Opens (and by default migrates) the database. Throws DatabaseOpenError for an unwritable
 * directory or a file that is not SQLite, SchemaVersionError for a database migrated by a newer
 * version; in each case nothing is written.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const opts = parseInput(OpenOptionsSchema, options, "openDatabase options");
  const url = opts.url ?? (opts.path ? undefined : process.env.HIVE_DATABASE_URL);
  if (url) {
    const schema = opts.schema ?? process.env.HIVE_DATABASE_SCHEMA ?? "public";
    // Loaded only for PostgreSQL: `pg` adds ~7 MB to every SQLite process that never uses it.
    const { PostgresBackend } = await import("./postgres.ts");
    const backend = await PostgresBackend.open({
      url,
      schema,
      migrate: opts.migrate,
      poolSize: opts.poolSize,
      maxTransactionAttempts: 5,
    });
    return new DatabaseHandle(backend, `${url.replace(/\/\/[^@/]*@/, "//***@")} (schema ${schema})`);
  }
  const path = resolveDatabasePath(opts.path);
  const backend = SqliteBackend.open({
    path,
    migrate: opts.migrate,
    busyTimeoutMs: opts.busyTimeoutMs,
    readonly: opts.readonly,
    backgroundCheckpoints: opts.backgroundCheckpoints,
  });
  return new DatabaseHandle(backend, path);
}

/** Creates the database file if needed and applies every migration (the seed's init_db). */
export async function initDb(options: Omit<OpenDatabaseOptions, "migrate"> = {}): Promise<Database> {
  return openDatabase({ ...options, migrate: true });
}

const shared = new Map<string, Promise<Database>>();

/**
 * A process-wide handle for a path (opened and migrated on first use): the seed's
 * get_connection. SQLite wants one connection per process.
 */
export function getConnection(options: Omit<OpenDatabaseOptions, "migrate"> = {}): Promise<Database> {
  const key = options.url ?? resolveDatabasePath(options.path);
  let p = shared.get(key);
  if (!p) {
    p = initDb(options);
    shared.set(key, p);
    p.catch(() => shared.delete(key));
  }
  return p;
}

/** Closes the handle; waits for a running transaction to finish first. Idempotent. */
export async function closeDatabase(db: Database): Promise<void> {
  if (db.closed) return;
  (db as DatabaseHandle).closed = true;
  for (const [k, v] of shared) if ((await v.catch(() => null)) === db) shared.delete(k);
  await db._backend.close();
}

/** SQLite-only access for tests, integrity checks and tools. */
export function sqliteBackendOf(db: Database): SqliteBackend {
  if (!(db._backend instanceof SqliteBackend)) throw new Error("not a SQLite database");
  return db._backend;
}
