import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import {
  DatabaseNotMigratedError,
  DatabaseOpenError,
  ReadOnlyDatabaseError,
  ValidationError,
} from "./errors.ts";
import { EventBus } from "./events.ts";
import type { Backend, Database } from "./handle.ts";
import { latestKnownMigration, SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import type { SqlExecutor } from "./sql.ts";
import { SqliteBackend } from "./sqlite.ts";
import { parseInput } from "./validate.ts";

/** Default database file, relative to the working directory. */
export const DEFAULT_DB_PATH = "hive/db/hive-internal.db";

const OpenOptionsSchema = z.strictObject({
  /** SQLite file. Default: $HIVE_DB_PATH, else hive/db/hive-internal.db under the working directory. */
  path: z.string().min(1).optional(),
  /** Apply pending migrations on open (default true; false with requireMigrated or readonly). */
  migrate: z.boolean().optional(),
  /**
   * Refuse, with a DatabaseOpenError and without writing anything, a database that does not
   * exist or is not fully migrated: a missing SQLite file, an empty one, a PostgreSQL schema that
   * does not exist or lacks migrations (default false). For tools that must never create a
   * database by accident (the `hive` CLI outside `hive migrate`). Cannot be combined with migrate.
   */
  requireMigrated: z.boolean().default(false),
  /** How long a writer waits for another process's lock, in ms (default 10 s). */
  busyTimeoutMs: z.number().int().min(0).default(10_000),
  /**
   * Open for reading only (default false): every write throws ReadOnlyDatabaseError, on SQLite
   * (a read-only connection) and on PostgreSQL (read-only sessions) alike. Implies
   * requireMigrated: a database that does not exist or is not fully migrated is refused, since
   * nothing may migrate it and this code's reads assume the latest schema. Cannot be combined
   * with migrate: true.
   */
  readonly: z.boolean().default(false),
  /**
   * SQLite: checkpoint the WAL on a background thread instead of inside the COMMIT that fills
   * it (default true; see sqlite.ts). False keeps SQLite's own auto-checkpoint.
   */
  backgroundCheckpoints: z.boolean().default(true),
  /**
   * PostgreSQL connection URL (postgres:// or postgresql://); selects the PostgreSQL backend.
   * Default: $HIVE_DATABASE_URL when no path is given. Refused together with path.
   */
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

/** Whether `url` is a PostgreSQL connection URL (postgres: or postgresql:, as libpq takes). */
export function isPostgresUrl(url: string): boolean {
  return URL.canParse(url) && /^postgres(ql)?:$/i.test(new URL(url).protocol);
}

function invalidOpen(path: string, message: string): never {
  throw new ValidationError(`invalid openDatabase options: ${path}: ${message}`, [{ path, message }]);
}

/**
 * Opens (and by default migrates) the database. Throws DatabaseOpenError for an unwritable
 * directory or a file that is not SQLite, SchemaVersionError for a database migrated by a newer
 * version; in each case nothing is written.
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const parsed = parseInput(OpenOptionsSchema, options, "openDatabase options");
  for (const path of ["requireMigrated", "readonly"] as const)
    if (parsed[path] && parsed.migrate) invalidOpen(path, "cannot be combined with migrate: true");
  // A SQLite path and a PostgreSQL URL are two databases: which one was meant is not ours to guess.
  if (parsed.path !== undefined && parsed.url !== undefined) invalidOpen("url", "give path or url, not both");
  const requireMigrated = parsed.requireMigrated || parsed.readonly;
  const opts = { ...parsed, requireMigrated, migrate: parsed.migrate ?? !requireMigrated };
  const url = opts.url ?? (opts.path ? undefined : process.env.HIVE_DATABASE_URL);
  if (url !== undefined && !isPostgresUrl(url))
    // pg reads any string as a connection string: "notaurl" was a host named "base", "mysql://…" a PostgreSQL server.
    invalidOpen(
      opts.url === undefined ? "url ($HIVE_DATABASE_URL)" : "url",
      "must be a PostgreSQL URL (postgres://user@host:5432/db or postgresql://…)",
    );
  if (url) {
    const schema = opts.schema ?? process.env.HIVE_DATABASE_SCHEMA ?? "public";
    // Loaded only for PostgreSQL: `pg` adds ~7 MB to every SQLite process that never uses it.
    const { PostgresBackend } = await import("./postgres.ts");
    // Before PostgresBackend.open, which creates a missing schema.
    if (opts.requireMigrated) await requirePostgresMigrated(url, schema);
    const backend = await PostgresBackend.open({
      url,
      schema,
      migrate: opts.migrate,
      poolSize: opts.poolSize,
      maxTransactionAttempts: 5,
      readonly: opts.readonly,
    });
    const location = `${url.replace(/\/\/[^@/]*@/, "//***@")} (schema ${schema})`;
    return new DatabaseHandle(opts.readonly ? refusingWrites(backend, location) : backend, location);
  }
  const path = resolveDatabasePath(opts.path);
  if (opts.requireMigrated) await requireSqliteMigrated(path, opts.busyTimeoutMs);
  const backend = SqliteBackend.open({
    path,
    migrate: opts.migrate,
    busyTimeoutMs: opts.busyTimeoutMs,
    readonly: opts.readonly,
    backgroundCheckpoints: opts.backgroundCheckpoints,
  });
  return new DatabaseHandle(opts.readonly ? refusingWrites(backend, path) : backend, path);
}

/**
 * For a program that creates its database only when told to (a daemon's --migrate): with
 * `migrate` it is created and migrated; without, a missing or unmigrated one is refused
 * (DatabaseOpenError, its cause the DatabaseNotMigratedError of requireMigrated), its message
 * ending with `orHint` (how this
 * program would create it), so a mistyped path is an error instead of a new empty database.
 */
export async function openExistingDatabase(
  where: { path?: string; url?: string },
  o: { migrate: boolean; orHint: string },
): Promise<Database> {
  try {
    return await openDatabase({ ...where, ...(o.migrate ? { migrate: true } : { requireMigrated: true }) });
  } catch (err) {
    if (!(err instanceof DatabaseNotMigratedError)) throw err;
    // A DatabaseOpenError, as the daemons reported it before this was shared (their output names it).
    throw new DatabaseOpenError(`${err.message}; ${o.orHint}`, { cause: err });
  }
}

/** The driver's refusal of a write on a read-only connection (SQLITE_READONLY*, PostgreSQL 25006). */
function isReadOnlyRefusal(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code);
  return code === "25006" || code.startsWith("SQLITE_READONLY");
}

/**
 * A read-only handle's backend: the driver's refusal of a write becomes ReadOnlyDatabaseError.
 * Overridden on the instance (not wrapped) so that sqliteBackendOf still finds a SqliteBackend;
 * writable handles keep the backend's own methods, untouched.
 */
function refusingWrites<B extends Backend>(backend: B, location: string): B {
  const refused = (err: unknown): never => {
    if (!isReadOnlyRefusal(err)) throw err;
    throw new ReadOnlyDatabaseError(
      `${location} was opened read-only (openDatabase readonly: true); nothing was written. Open it without readonly to write`,
      { cause: err },
    );
  };
  const transaction = backend.transaction.bind(backend);
  const writeStatement = backend.writeStatement.bind(backend);
  return Object.assign(backend, {
    transaction: <T>(fn: (ex: SqlExecutor) => Promise<T>, wakes?: () => boolean) =>
      transaction(fn, wakes).catch(refused),
    writeStatement: (...args: Parameters<Backend["writeStatement"]>) =>
      writeStatement(...args).catch(refused),
  });
}

/**
 * Throws DatabaseOpenError unless the migrations table shows every migration this code knows
 * applied (a newer database is left to the backends' own SchemaVersionError check).
 */
async function requireApplied(
  ex: SqlExecutor,
  hasTable: boolean,
  table: string,
  folder: string,
  where: string,
): Promise<void> {
  const known = latestKnownMigration(folder);
  const hint = "apply the migrations first (`hive migrate`, `pnpm db:migrate`, or openDatabase with migrate)";
  if (!hasTable)
    throw new DatabaseNotMigratedError(`${where} is not a migrated Hive database (no tables); ${hint}`);
  const row = await ex.get<{ n: number | string; last: number | string | null }>(
    `SELECT count(*) AS n, max(created_at) AS last FROM ${table}`,
  );
  const applied = Number(row?.n ?? 0);
  if (Number(row?.last ?? 0) < known.when)
    throw new DatabaseNotMigratedError(
      `${where} is not fully migrated (${applied} of ${known.count} migrations applied); ${hint}`,
    );
}

/** requireMigrated for SQLite: reads the file through a read-only connection, so nothing is written. */
async function requireSqliteMigrated(path: string, busyTimeoutMs: number): Promise<void> {
  if (path !== ":memory:" && !existsSync(path))
    throw new DatabaseNotMigratedError(`no database at ${path}; create it by migrating (\`hive migrate\`)`);
  const where = `"${path}"`;
  if (path === ":memory:")
    throw new DatabaseNotMigratedError(
      `${where} is a new, empty database; it cannot be opened without migrating`,
    );
  // Read-only: refuses a newer schema (SchemaVersionError) and a file that is not SQLite itself.
  const ro = SqliteBackend.open({
    path,
    migrate: false,
    readonly: true,
    busyTimeoutMs,
    backgroundCheckpoints: false,
  });
  try {
    await ro.read(async (ex) => {
      const table = await ex.get(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'",
      );
      await requireApplied(ex, table !== undefined, "__drizzle_migrations", SQLITE_MIGRATIONS_DIR, where);
    });
  } finally {
    await ro.close();
  }
}

/** requireMigrated for PostgreSQL: one connection that only reads the catalog and the migrations table. */
async function requirePostgresMigrated(url: string, schema: string): Promise<void> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(schema))
    throw new DatabaseOpenError(`invalid PostgreSQL schema name "${schema}"`);
  const [{ default: pg }, { PG_MIGRATIONS_DIR }] = await Promise.all([import("pg"), import("./postgres.ts")]);
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw new DatabaseOpenError(`cannot open PostgreSQL database: ${(err as Error).message}`, { cause: err });
  }
  try {
    const where = `PostgreSQL schema "${schema}"`;
    const exists = await client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [
      schema,
    ]);
    if (exists.rowCount === 0)
      throw new DatabaseNotMigratedError(
        `${where} does not exist; create it by migrating (\`hive migrate\`)`,
      );
    const table = await client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = '__drizzle_migrations'",
      [schema],
    );
    const ex = { get: async (sql: string) => (await client.query(sql)).rows[0] } as SqlExecutor;
    await requireApplied(
      ex,
      (table.rowCount ?? 0) > 0,
      `"${schema}".__drizzle_migrations`,
      PG_MIGRATIONS_DIR,
      where,
    );
  } catch (err) {
    if (err instanceof DatabaseOpenError) throw err;
    throw new DatabaseOpenError(`cannot open PostgreSQL database: ${(err as Error).message}`, { cause: err });
  } finally {
    await client.end().catch(() => {});
  }
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
