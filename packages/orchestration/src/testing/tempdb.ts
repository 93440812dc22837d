import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { closeDatabase, type OpenDatabaseOptions, openDatabase } from "../db.ts";
import type { Database } from "../handle.ts";

/** Which backend the contract tests run on: HIVE_TEST_BACKEND=postgres, else SQLite. */
export const testBackend: "sqlite" | "postgres" =
  process.env.HIVE_TEST_BACKEND === "postgres" ? "postgres" : "sqlite";
/** The PostgreSQL server of the tests (trust auth on this machine). */
export const TEST_PG_URL = process.env.HIVE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TempDatabase {
  db: Database;
  /** SQLite file (also set on PostgreSQL: a temp dir file path that is not the database). */
  path: string;
  dir: string;
  /** How another handle or a child process opens the same database. */
  openOptions: OpenDatabaseOptions;
  cleanup: () => Promise<void>;
}

/**
 * A fresh migrated database for one test: a SQLite file in its own temp dir, or (with
 * HIVE_TEST_BACKEND=postgres) a schema of its own on the test server, its name starting with
 * `schemaPrefix`. `cleanup` removes it.
 */
export async function tempDatabase(schemaPrefix = "t"): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), "hive-test-"));
  const path = join(dir, "hive.db");
  if (testBackend === "postgres") {
    const schema = `${schemaPrefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const openOptions: OpenDatabaseOptions = { url: TEST_PG_URL, schema };
    const db = await openDatabase(openOptions);
    return {
      db,
      path,
      dir,
      openOptions,
      cleanup: async () => {
        await closeDatabase(db);
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await c.end();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const openOptions: OpenDatabaseOptions = { path };
  const db = await openDatabase(openOptions);
  return {
    db,
    path,
    dir,
    openOptions,
    cleanup: async () => {
      await closeDatabase(db);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
