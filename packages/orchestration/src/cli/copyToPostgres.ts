/**
 * `pnpm db:copy-to-pg <sqlite file> <postgres url> [schema]`: copies an existing SQLite database
 * into PostgreSQL (see docs/postgres.md), keeping ids, states, runs and edges.
 */
import { copySqliteToPostgres } from "../copy.ts";
import { HiveError } from "../errors.ts";

// `pnpm db:copy-to-pg -- <file> <url>` forwards the "--" itself: it is never the file.
const [source, url, schema] = process.argv.slice(2).filter((a, i) => !(i === 0 && a === "--"));
if (!source || !url) {
  console.error("usage: pnpm db:copy-to-pg <sqlite file> <postgres url> [schema]");
  process.exit(2);
}
try {
  const r = await copySqliteToPostgres(source, { url, schema });
  for (const [table, n] of Object.entries(r.rows)) console.log(`${table}: ${n} rows`);
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exit(1);
}
