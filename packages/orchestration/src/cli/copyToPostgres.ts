/**
 * `pnpm db:copy-to-pg <sqlite file> <postgres url> [schema]`: copies an existing SQLite database
 * into PostgreSQL (see docs/postgres.md), keeping ids, states, runs and edges.
 */
import { copySqliteToPostgres } from "../copy.ts";
import { HiveError } from "../errors.ts";
import { scriptArgs } from "./args.ts";

const USAGE = `usage: pnpm db:copy-to-pg <sqlite file> <postgres url> [schema]
  Copies a migrated SQLite database into PostgreSQL (the schema, default public, is migrated first).`;
const [source, url, schema] = scriptArgs(process.argv.slice(2), USAGE, { min: 2, max: 3 }) as [
  string,
  string,
  string | undefined,
];
try {
  const r = await copySqliteToPostgres(source, { url, schema });
  for (const [table, n] of Object.entries(r.rows)) console.log(`${table}: ${n} rows`);
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
