import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "./db.ts";
import { DatabaseOpenError, ReadOnlyDatabaseError, ValidationError } from "./errors.ts";
import { SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import { createTask, createTasks, getTask, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";
import { transaction } from "./tx.ts";
import { registerWorker } from "./workers.ts";

describe("a read-only handle", () => {
  const t = useTempDatabase();

  it("reads, and refuses every write with ReadOnlyDatabaseError, writing nothing", async () => {
    const task = await createTask(t.db, { title: "before", taskType: "t" });
    const ro = await openDatabase({ ...t.temp.openOptions, readonly: true });
    try {
      expect((await getTask(ro, task.id))?.title).toBe("before");
      await expect(createTask(ro, { title: "alone", taskType: "t" })).rejects.toBeInstanceOf(
        ReadOnlyDatabaseError,
      );
      await expect(createTasks(ro, [{ title: "batch", taskType: "t" }])).rejects.toBeInstanceOf(
        ReadOnlyDatabaseError,
      );
      await expect(registerWorker(ro, { workerId: "w", role: "r" })).rejects.toBeInstanceOf(
        ReadOnlyDatabaseError,
      );
      await expect(
        transaction(ro, (tx) => createTask(tx, { title: "in a tx", taskType: "t" })),
      ).rejects.toBeInstanceOf(ReadOnlyDatabaseError);
      // A transaction that only reads is fine.
      expect(await transaction(ro, async (tx) => (await listTasks(tx)).length)).toBe(1);
    } finally {
      await closeDatabase(ro);
    }
    expect((await listTasks(t.db)).map((x) => x.title)).toEqual(["before"]);
  });

  it("cannot be asked to migrate", async () => {
    const err = await openDatabase({ ...t.temp.openOptions, readonly: true, migrate: true }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toEqual([
      { path: "readonly", message: "cannot be combined with migrate: true" },
    ]);
  });
});

describe.skipIf(testBackend === "postgres")("a read-only handle on SQLite", () => {
  const t = useTempDatabase();

  it("refuses an older database, saying it needs migrating, and leaves the file as it was", async () => {
    // A database of the first three migrations, as an older Hive left it.
    const old = join(t.temp.dir, "oldmig");
    mkdirSync(join(old, "meta"), { recursive: true });
    const journal = JSON.parse(readFileSync(join(SQLITE_MIGRATIONS_DIR, "meta/_journal.json"), "utf8"));
    journal.entries = journal.entries.slice(0, 3);
    writeFileSync(join(old, "meta/_journal.json"), JSON.stringify(journal));
    for (const e of journal.entries as { tag: string }[])
      copyFileSync(join(SQLITE_MIGRATIONS_DIR, `${e.tag}.sql`), join(old, `${e.tag}.sql`));
    const path = join(t.temp.dir, "old.db");
    const c = new BetterSqlite3(path);
    migrate(drizzle(c), { migrationsFolder: old });
    c.close();
    const before = readFileSync(path);

    const err = await openDatabase({ path, readonly: true }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect((err as Error).message).toMatch(
      /is not fully migrated \(3 of \d+ migrations applied\); apply the migrations/,
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});

describe.skipIf(testBackend !== "postgres")("a read-only handle on PostgreSQL", () => {
  it("refuses a schema that does not exist, without creating it", async () => {
    const schema = `ro_missing_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    await expect(openDatabase({ url: TEST_PG_URL, schema, readonly: true })).rejects.toThrow(
      /does not exist; create it by migrating/,
    );
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    try {
      const r = await c.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema]);
      expect(r.rowCount).toBe(0);
    } finally {
      await c.end();
    }
  });
});
