/**
 * `pnpm db:migrate [path]`: applies every pending migration to the SQLite database
 * (default $HIVE_DB_PATH or hive/db/hive-internal.db) and prints what was done.
 */
import { closeDatabase, openDatabase, resolveDatabasePath } from "../db.ts";
import { HiveError } from "../errors.ts";

// `pnpm db:migrate -- <path>` forwards the "--" itself: it is never the path.
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
const path = resolveDatabasePath(args[0]);
try {
  const db = await openDatabase({ path, migrate: true });
  await closeDatabase(db);
  console.log(`migrated ${path}`);
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
