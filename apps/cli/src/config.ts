import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  closeDatabase,
  type Database,
  isPostgresUrl,
  type OpenDatabaseOptions,
  openDatabase,
  resolveDatabasePath,
} from "@hive/orchestration";
import { z } from "zod";
import { DatabaseUnavailableError, UsageError } from "./exitCodes.ts";

/** The global flags every command accepts (commander's `optsWithGlobals()`). */
export const GlobalOptionsSchema = z.object({
  db: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
  json: z.boolean().default(false),
});
export type GlobalOptions = z.infer<typeof GlobalOptionsSchema>;

/** Where the database is: a SQLite file or a PostgreSQL URL (with its schema). */
export type Backend = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string; schema?: string };

/**
 * Picks the backend: `--db` or `--url` when given (both is an error), else $HIVE_DB_PATH, else
 * $HIVE_DATABASE_URL, else the library's default SQLite file. This is the only place the CLI
 * reads the environment for the database.
 */
export function resolveBackend(opts: GlobalOptions, env: NodeJS.ProcessEnv): Backend {
  if (opts.db && opts.url) throw new UsageError("give --db (SQLite) or --url (PostgreSQL), not both");
  // Checked only for PostgreSQL (SQLite has no schema), where the library refuses a bad name as a
  // database it cannot open (exit 5) although nothing was tried.
  const schema = () =>
    opts.schema !== undefined
      ? schemaName(opts.schema, "--schema")
      : env.HIVE_DATABASE_SCHEMA && schemaName(env.HIVE_DATABASE_SCHEMA, "$HIVE_DATABASE_SCHEMA");
  if (opts.db) return { kind: "sqlite", path: resolveDatabasePath(opts.db) };
  if (opts.url) return { kind: "postgres", url: postgresUrl(opts.url, "--url"), schema: schema() };
  if (env.HIVE_DB_PATH) return { kind: "sqlite", path: resolveDatabasePath(env.HIVE_DB_PATH) };
  if (env.HIVE_DATABASE_URL)
    return {
      kind: "postgres",
      url: postgresUrl(env.HIVE_DATABASE_URL, "$HIVE_DATABASE_URL"),
      schema: schema(),
    };
  return { kind: "sqlite", path: resolveDatabasePath(undefined) };
}

/** `name` when it is a schema name Hive accepts (an unquoted identifier); else a usage error naming `source`. */
function schemaName(name: string, source: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new UsageError(
      `${source} must be a PostgreSQL schema name (letters, digits and _, not starting with a digit), got "${name}"`,
    );
  return name;
}

/**
 * `url` when it is a postgres:// or postgresql:// URL. Anything else is a usage error naming
 * `source`: the driver would read `notaurl` as a host name and report a DNS failure (exit 5), as
 * if a server were down.
 */
function postgresUrl(url: string, source: string): string {
  if (!isPostgresUrl(url))
    throw new UsageError(
      `${source} must be a PostgreSQL URL (postgres://user@host:5432/db), got "${url.replace(/\/\/[^@/]*@/, "//***@")}"`,
    );
  return url;
}

/**
 * Opens the database. `create` (only `hive migrate`) may create a missing database and applies
 * pending migrations; every other command opens without migrating and refuses a missing SQLite
 * file, a PostgreSQL schema that does not exist and a database that is not (fully) migrated, so
 * a typo in a path or schema is an error rather than a new empty database.
 * Failing to open is a DatabaseUnavailableError (exit code 5).
 */
export async function openBackend(backend: Backend, create = false): Promise<Database> {
  const flag = backend.kind === "sqlite" ? `--db ${backend.path}` : "--url … --schema …";
  if (!create && backend.kind === "sqlite" && backend.path !== ":memory:" && !existsSync(backend.path))
    throw new DatabaseUnavailableError(
      `no database at ${backend.path}; create it with \`hive migrate ${flag}\``,
    );
  // SQLite's own word for a directory is "disk I/O error" (or "unable to open database file").
  if (
    backend.kind === "sqlite" &&
    backend.path !== ":memory:" &&
    statSync(backend.path, { throwIfNoEntry: false })?.isDirectory()
  )
    throw new DatabaseUnavailableError(
      `${backend.path} is a directory, not a database file; give the file (--db ${join(backend.path, "hive.db")}, say)`,
    );
  const where: OpenDatabaseOptions =
    backend.kind === "sqlite"
      ? { path: backend.path }
      : { url: backend.url, ...(backend.schema ? { schema: backend.schema } : {}) };
  try {
    return await openDatabase({ ...where, ...(create ? { migrate: true } : { requireMigrated: true }) });
  } catch (err) {
    throw new DatabaseUnavailableError(
      `cannot open the database: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** Opens the database, runs `fn`, and closes it whatever happens. */
export async function withDatabase<T>(
  backend: Backend,
  fn: (db: Database) => Promise<T>,
  create = false,
): Promise<T> {
  const db = await openBackend(backend, create);
  try {
    return await fn(db);
  } finally {
    await closeDatabase(db);
  }
}
