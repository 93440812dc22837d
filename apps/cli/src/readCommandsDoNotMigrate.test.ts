import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, openDatabase } from "@hive/orchestration";
import { TEST_PG_URL } from "@hive/orchestration/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "./exitCodes.ts";
import { testBackend } from "./testing/backend.ts";
import { liveChildren, runHive } from "./testing/hive.ts";

// The drivers, from the orchestration package that depends on them (the CLI itself never
// touches SQL): the tests damage databases on purpose.
const fromOrchestration = createRequire(
  new URL("../../../packages/orchestration/package.json", import.meta.url),
);
const pg = fromOrchestration("pg") as {
  Client: new (o: {
    connectionString: string;
  }) => {
    connect(): Promise<void>;
    query(text: string, params?: unknown[]): Promise<{ rowCount: number | null }>;
    end(): Promise<void>;
  };
};
const Sqlite = fromOrchestration("better-sqlite3") as new (
  path: string,
) => { exec(sql: string): void; close(): void };

afterEach(() => {
  expect(liveChildren()).toEqual([]);
});

/** Every command but `migrate`, each of which must leave an unmigrated database alone. */
const READ_AND_WRITE_COMMANDS = [
  ["status"],
  ["tasks", "list"],
  ["workers", "list"],
  ["plans", "list"],
  ["tasks", "cancel", "nope"],
  ["requests", "submit", "-d", "x"],
  ["purge", "--older-than", "0"],
];

describe.skipIf(testBackend === "postgres")("commands other than migrate, on SQLite", () => {
  it("refuse an empty database file with exit 5 and leave it empty (no migration, no WAL)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-cli-empty-"));
    try {
      const path = join(dir, "empty.db");
      writeFileSync(path, "");
      for (const args of READ_AND_WRITE_COMMANDS) {
        const r = await runHive(["--db", path, ...args]);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(ExitCode.unavailable);
        expect(r.stderr).toContain("not a migrated Hive database");
        expect(r.stderr).toContain("hive migrate");
      }
      expect(statSync(path).size).toBe(0);
      expect(readdirSync(dir)).toEqual(["empty.db"]);

      expect((await runHive(["--db", path, "migrate"])).code).toBe(0);
      expect((await runHive(["--db", path, "status"])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuse a database file with only some of the migrations applied (exit 5)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-cli-partial-"));
    try {
      const path = join(dir, "partial.db");
      await closeDatabase(await openDatabase({ path }));
      const conn = new Sqlite(path);
      conn.exec(
        "DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)",
      );
      conn.close();
      const r = await runHive(["--db", path, "status"]);
      expect(r.code, r.stderr).toBe(ExitCode.unavailable);
      expect(r.stderr).toContain("not fully migrated");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(testBackend !== "postgres")("commands other than migrate, on PostgreSQL", () => {
  const schema = `cli_nomigrate_${process.pid}_${Date.now().toString(36)}`;
  const sql = async (text: string, params: unknown[] = []) => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      return await c.query(text, params);
    } finally {
      await c.end();
    }
  };
  const schemaExists = async () =>
    (await sql("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema])).rowCount === 1;
  afterEach(async () => {
    await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });

  it("refuse a schema that does not exist with exit 5, without creating it", async () => {
    for (const args of READ_AND_WRITE_COMMANDS) {
      const r = await runHive(["--url", TEST_PG_URL, "--schema", schema, ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(ExitCode.unavailable);
      expect(r.stderr).toContain(`PostgreSQL schema "${schema}" does not exist`);
    }
    expect(await schemaExists()).toBe(false);
  });

  it("refuse an empty schema with exit 5, creating no table; after hive migrate they work", async () => {
    await sql(`CREATE SCHEMA "${schema}"`);
    const r = await runHive(["--url", TEST_PG_URL, "--schema", schema, "status"]);
    expect(r.code, r.stderr).toBe(ExitCode.unavailable);
    expect(r.stderr).toContain("not a migrated Hive database");
    const tables = await sql("SELECT 1 FROM information_schema.tables WHERE table_schema = $1", [schema]);
    expect(tables.rowCount).toBe(0);

    expect((await runHive(["--url", TEST_PG_URL, "--schema", schema, "migrate"])).code).toBe(0);
    expect((await runHive(["--url", TEST_PG_URL, "--schema", schema, "status"])).code).toBe(0);
  });

  it("refuse a schema with only some of the migrations applied", async () => {
    const db = await openDatabase({ url: TEST_PG_URL, schema });
    await closeDatabase(db);
    await sql(
      `DELETE FROM "${schema}".__drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM "${schema}".__drizzle_migrations)`,
    );
    const r = await runHive(["--url", TEST_PG_URL, "--schema", schema, "status"]);
    expect(r.code, r.stderr).toBe(ExitCode.unavailable);
    expect(r.stderr).toContain("not fully migrated");
  });
});
