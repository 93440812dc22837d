// The temp database of the orchestration package's own tests, reused so that the CLI's tests run
// on SQLite or (HIVE_TEST_BACKEND=postgres) PostgreSQL exactly like the library's contract tests.
// It is not part of @hive/orchestration's public API, hence the path into its sources.
import {
  type TempDatabase,
  tempDatabase,
  testBackend,
} from "../../../../packages/orchestration/src/testing/tempdb.ts";

export { type TempDatabase, tempDatabase, testBackend };

/** The global flags that point `hive` at the temp database. */
export function backendArgs(t: TempDatabase): string[] {
  const o = t.openOptions;
  if (o.url) return ["--url", o.url, ...(o.schema ? ["--schema", o.schema] : [])];
  return ["--db", o.path!];
}
