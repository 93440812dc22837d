import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { copySqliteToPostgres } from "./copy.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { DatabaseOpenError, SchemaVersionError } from "./errors.ts";
import { createTask } from "./tasks.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A migrated SQLite file with one task, then `edit` run on it directly; and a target schema name. */
async function source(edit: string): Promise<{ path: string; schema: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hive-copyver-"));
  const path = join(dir, "src.db");
  const schema = `copyver_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  cleanups.push(async () => {
    rmSync(dir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
  const db = await openDatabase({ path });
  await createTask(db, { title: "t", taskType: "t" });
  await closeDatabase(db);
  const conn = new Sqlite(path);
  conn.exec(edit);
  conn.close();
  return { path, schema };
}

const targetTasks = async (schema: string): Promise<number | null> => {
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    const t = await c.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'tasks'",
      [schema],
    );
    if (t.rowCount === 0) return null;
    return Number((await c.query(`SELECT count(*) AS n FROM "${schema}".tasks`)).rows[0].n);
  } finally {
    await c.end();
  }
};

// Needs SQLite as the source and PostgreSQL as the target: runs on the SQLite pass.
describe.skipIf(testBackend === "postgres")(
  "copySqliteToPostgres from a source at another schema version",
  () => {
    it("refuses an older source, saying to migrate it first, and copies nothing", async () => {
      const { path, schema } = await source(
        "DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)",
      );
      const refused = copySqliteToPostgres(path, { url: TEST_PG_URL, schema });
      await expect(refused).rejects.toBeInstanceOf(DatabaseOpenError);
      await expect(refused).rejects.toThrow(/not fully migrated; migrate it first/);
      expect(await targetTasks(schema)).toBeNull();
    });

    it("refuses a newer source with SchemaVersionError", async () => {
      const { path, schema } = await source(
        "INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', (SELECT max(created_at) FROM __drizzle_migrations) + 1000)",
      );
      await expect(copySqliteToPostgres(path, { url: TEST_PG_URL, schema })).rejects.toBeInstanceOf(
        SchemaVersionError,
      );
      expect(await targetTasks(schema)).toBeNull();
    });
  },
);
