/**
 * `pnpm db:migrate [path]`: applies every pending migration to the SQLite database
 * (default $HIVE_DB_PATH or hive/db/hive-internal.db) and prints what was done.
 */
import { closeDatabase, openDatabase, resolveDatabasePath } from "../db.ts";
import { HiveError } from "../errors.ts";

const path = resolveDatabasePath(process.argv[2]);
try {
  const db = await openDatabase({ path, migrate: true });
  await closeDatabase(db);
  console.log(`migrated ${path}`);
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
