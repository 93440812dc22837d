// The temp database of the orchestration package's own tests (@hive/orchestration/testing), so the
// CLI's tests run on SQLite or (HIVE_TEST_BACKEND=postgres) PostgreSQL like the contract tests.
import { type TempDatabase, tempDatabase, testBackend } from "@hive/orchestration/testing";

export { type TempDatabase, tempDatabase, testBackend };

/** The global flags that point `hive` at the temp database. */
export function backendArgs(t: TempDatabase): string[] {
  const o = t.openOptions;
  if (o.url) return ["--url", o.url, ...(o.schema ? ["--schema", o.schema] : [])];
  return ["--db", o.path!];
}
