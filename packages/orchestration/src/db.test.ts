import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { FALLBACK_AUTOCHECKPOINT_PAGES } from "./checkpointer.ts";
import { closeDatabase, DEFAULT_DB_PATH, openDatabase, resolveDatabasePath, sqliteBackendOf } from "./db.ts";
import { DatabaseBusyError, DatabaseOpenError, SchemaVersionError } from "./errors.ts";
import type { Database } from "./handle.ts";
import { latestKnownMigration, SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import { createTask, createTasks } from "./tasks.ts";
import { testBackend } from "./testing/tempdb.ts";
import { waitUntil } from "./testing/waitUntil.ts";

// SQLite only (skipped on the PostgreSQL pass): these cases are about the embedded file.
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "hive-db-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// SQLite only: files, pragmas and bad files are the embedded backend's concern; PostgreSQL's
// opening (bad URL, bad schema, newer migrations) is covered in postgres.test.ts.
describe.skipIf(testBackend === "postgres")("openDatabase (SQLite)", () => {
  it("applies every migration to a new file", async () => {
    const path = join(tempDir(), "new.db");
    const db = await openDatabase({ path });
    const tables = sqliteBackendOf(db).rawAll<{ name: string }>(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        "tasks",
        "runs",
        "workers",
        "planning_queue",
        "execution_plans",
        "plan_execution",
        "task_dependencies",
      ]),
    );
    const applied = sqliteBackendOf(db).rawAll<{ n: number }>(
      "SELECT count(*) AS n FROM __drizzle_migrations",
    );
    expect(applied[0]!.n).toBe(latestKnownMigration(SQLITE_MIGRATIONS_DIR).count);
    await closeDatabase(db);
  });

  /** `run(db, other)` on a new file while a second connection (`other`) holds its write lock. */
  async function withLockHeld(
    busyTimeoutMs: number,
    run: (db: Awaited<ReturnType<typeof openDatabase>>, other: BetterSqlite3.Database) => Promise<void>,
  ): Promise<void> {
    const path = join(tempDir(), "lock.db");
    const db = await openDatabase({ path, busyTimeoutMs });
    const other = new BetterSqlite3(path);
    try {
      other.exec("BEGIN IMMEDIATE");
      await run(db, other);
    } finally {
      other.close();
      await closeDatabase(db);
    }
  }

  // A plain createTask commits in autocommit (Backend.writeStatement); a batch in a transaction.
  const writes = [
    ["createTask (autocommit)", (db: Database, title: string) => createTask(db, { title, taskType: "t" })],
    [
      "createTasks (transaction)",
      (db: Database, title: string) => createTasks(db, [{ title, taskType: "t" }]),
    ],
  ] as const;

  it.each(writes)(
    "%s waits for another connection's write lock without blocking the process, then commits",
    async (_, write) => {
      await withLockHeld(5000, async (db, other) => {
        let ticks = 0;
        const timer = setInterval(() => ticks++, 5);
        const creating = write(db, "after the lock");
        // The holder is in this very thread: a blocking wait could never see it let go.
        await new Promise((r) => setTimeout(r, 200));
        other.exec("COMMIT");
        await creating;
        clearInterval(timer);
        expect(ticks).toBeGreaterThan(10);
        expect(sqliteBackendOf(db).rawAll("SELECT title, status FROM tasks")).toEqual([
          { title: "after the lock", status: "queued" },
        ]);
      });
    },
  );

  it.each(writes)(
    "%s gives up on a write lock held past busyTimeoutMs with DatabaseBusyError (SQLITE_BUSY), writing nothing",
    async (_, write) => {
      await withLockHeld(150, async (db, other) => {
        const started = Date.now();
        const refused = write(db, "never");
        await expect(refused).rejects.toBeInstanceOf(DatabaseBusyError);
        await expect(refused).rejects.toMatchObject({
          code: "SQLITE_BUSY",
          message: expect.stringContaining("waited 150 ms (busyTimeoutMs)"),
        });
        expect(Date.now() - started).toBeGreaterThanOrEqual(140);
        other.exec("ROLLBACK");
        expect(sqliteBackendOf(db).rawAll("SELECT id FROM tasks")).toEqual([]);
        // The connection's own busy timeout is what was configured, not the 0 used while waiting.
        expect(sqliteBackendOf(db).pragmas().busy_timeout).toBe(150);
        // And the connection writes again once the lock is free.
        await write(db, "later");
        expect(sqliteBackendOf(db).rawAll("SELECT title FROM tasks")).toEqual([{ title: "later" }]);
      });
    },
  );

  it("puts WAL, foreign keys, synchronous=NORMAL, a busy timeout and 4 KiB pages in effect", async () => {
    const db = await openDatabase({ path: join(tempDir(), "p.db"), busyTimeoutMs: 4321 });
    expect(sqliteBackendOf(db).pragmas()).toEqual({
      journal_mode: "wal",
      foreign_keys: 1,
      synchronous: 1,
      busy_timeout: 4321,
      page_size: 4096,
    });
    await closeDatabase(db);
  });

  it("keeps the page size of an existing file, and its data", async () => {
    const path = join(tempDir(), "old.db");
    const old = new BetterSqlite3(path);
    old.pragma("page_size = 8192");
    old.exec("CREATE TABLE keep (v TEXT); INSERT INTO keep VALUES ('still here')");
    old.close();
    const db = await openDatabase({ path });
    expect(sqliteBackendOf(db).pragmas().page_size).toBe(8192);
    expect(sqliteBackendOf(db).rawAll("SELECT v FROM keep")).toEqual([{ v: "still here" }]);
    await createTask(db, { title: "t", taskType: "x" });
    await closeDatabase(db);
  });

  it("enforces foreign keys: a task cannot name a missing plan", async () => {
    const db = await openDatabase({ path: join(tempDir(), "fk.db") });
    const raw = sqliteBackendOf(db);
    expect(() =>
      raw.rawAll(
        "INSERT INTO tasks (id, title, task_type, created_at, updated_at, run_at, plan_id) VALUES ('t', 't', 't', 1, 1, 1, 'missing') RETURNING id",
      ),
    ).toThrow(/FOREIGN KEY/);
    expect(raw.rawAll("SELECT * FROM tasks")).toEqual([]);
    await closeDatabase(db);
  });

  it("uses HIVE_DB_PATH, else hive/db/hive-internal.db under the working directory, creating the directory", async () => {
    const dir = tempDir();
    const saved = process.env.HIVE_DB_PATH;
    try {
      process.env.HIVE_DB_PATH = join(dir, "nested/deeper/env.db");
      const db = await openDatabase();
      expect(db.location).toBe(join(dir, "nested/deeper/env.db"));
      await closeDatabase(db);
      delete process.env.HIVE_DB_PATH;
      expect(resolveDatabasePath()).toBe(join(process.cwd(), DEFAULT_DB_PATH));
    } finally {
      if (saved === undefined) delete process.env.HIVE_DB_PATH;
      else process.env.HIVE_DB_PATH = saved;
    }
  });

  it("refuses an unwritable directory with DatabaseOpenError", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "file"), "x");
    await expect(openDatabase({ path: join(dir, "file/sub/hive.db") })).rejects.toBeInstanceOf(
      DatabaseOpenError,
    );
  });

  it("refuses a file that is not SQLite and leaves its bytes unchanged", async () => {
    const path = join(tempDir(), "notes.txt");
    const text = "these are my notes, not a database\n".repeat(200);
    writeFileSync(path, text);
    const err = await openDatabase({ path }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseOpenError);
    expect(err.message).toMatch(/not a SQLite database/);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("refuses a database migrated by a newer version, changing nothing", async () => {
    const path = join(tempDir(), "newer.db");
    await closeDatabase(await openDatabase({ path }));
    const raw = new BetterSqlite3(path);
    raw
      .prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)")
      .run(Date.now() + 10 ** 9);
    const before = raw.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get();
    raw.close();
    await expect(openDatabase({ path })).rejects.toBeInstanceOf(SchemaVersionError);
    const after = new BetterSqlite3(path, { readonly: true });
    expect(after.prepare("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual(before);
    after.close();
  });
});

describe.skipIf(testBackend === "postgres")("background checkpoints (SQLite)", () => {
  const fileSize = (path: string) => statSync(path).size;

  it("start once a connection has written, checkpoint the WAL on their own thread, and stop on close", async () => {
    const path = join(tempDir(), "ckpt.db");
    const db = await openDatabase({ path });
    const backend = sqliteBackendOf(db);
    await createTask(db, { title: "first", taskType: "t" });
    expect(backend.checkpointsInBackground).toBe(false); // a short-lived writer never starts one
    for (let i = 0; i < 64; i++) await createTask(db, { title: `t${i}`, taskType: "t" });
    expect(backend.checkpointsInBackground).toBe(true);
    // The writer's own connection no longer checkpoints at SQLite's 1,000 pages...
    expect(backend.conn.pragma("wal_autocheckpoint", { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
    const before = fileSize(path);
    // ...so pages reaching the database file (each commit writes ~3 WAL frames, far below the
    // fallback) were copied there by the thread.
    for (let i = 0; i < 2000; i++) await createTask(db, { title: `more ${i}`, taskType: "t" });
    await waitUntil(async () => fileSize(path) > before, "the database file grown by a checkpoint", 5000);
    await closeDatabase(db);
    expect(backend.checkpointsInBackground).toBe(false);
    const again = await openDatabase({ path });
    try {
      const n = sqliteBackendOf(again).rawAll<{ n: number }>("SELECT count(*) AS n FROM tasks")[0]!.n;
      expect(n).toBe(2065);
    } finally {
      await closeDatabase(again);
    }
  });

  it("give the connection SQLite's own auto-checkpoint back if the thread dies", async () => {
    const path = join(tempDir(), "died.db");
    const db = await openDatabase({ path });
    try {
      const backend = sqliteBackendOf(db);
      for (let i = 0; i < 64; i++) await createTask(db, { title: `t${i}`, taskType: "t" });
      expect(backend.conn.pragma("wal_autocheckpoint", { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT_PAGES);
      await backend.checkpointerThread!.terminate();
      await waitUntil(async () => !backend.checkpointsInBackground, "the death noticed", 5000);
      expect(backend.conn.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
      await createTask(db, { title: "after", taskType: "t" }); // writes go on
    } finally {
      await closeDatabase(db);
    }
  });

  it("never start when turned off, nor on a read-only connection", async () => {
    const path = join(tempDir(), "off.db");
    const db = await openDatabase({ path, backgroundCheckpoints: false });
    for (let i = 0; i < 100; i++) await createTask(db, { title: `t${i}`, taskType: "t" });
    expect(sqliteBackendOf(db).checkpointsInBackground).toBe(false);
    expect(sqliteBackendOf(db).conn.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    await closeDatabase(db);
    const ro = await openDatabase({ path, readonly: true });
    try {
      expect(sqliteBackendOf(ro).checkpointsInBackground).toBe(false);
    } finally {
      await closeDatabase(ro);
    }
  });
});
