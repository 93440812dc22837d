/**
 * `pnpm db:migrate [path]`: applies every pending migration to the SQLite database
 * (default $HIVE_DB_PATH or hive/db/hive-internal.db) and prints what was done.
 */
import { closeDatabase, openDatabase, resolveDatabasePath } from "../db.ts";
import { HiveError } from "../errors.ts";
import { scriptArgs } from "./args.ts";

const USAGE = `usage: pnpm db:migrate [path]
  Creates the SQLite database at path if it does not exist and applies every pending migration.
  path: default $HIVE_DB_PATH, else hive/db/hive-internal.db. For PostgreSQL: hive migrate --url <url>.`;
const [where] = scriptArgs(process.argv.slice(2), USAGE, { min: 0, max: 1 });
const path = resolveDatabasePath(where);
try {
  const db = await openDatabase({ path, migrate: true });
  await closeDatabase(db);
  console.log(`migrated ${path}`);
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
