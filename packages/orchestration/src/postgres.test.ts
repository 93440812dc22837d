import pg from "pg";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { DatabaseOpenError } from "./errors.ts";
import { getRuns } from "./runs.ts";
import { createTask, getTask } from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, tempDatabase, testBackend } from "./testing/tempdb.ts";
import { wakeOnlyWorker } from "./testing/wakeOnlyWorker.ts";
import { withRead } from "./tx.ts";

// PostgreSQL only: LISTEN/NOTIFY, the connection pool and server-side transient errors do not
// exist on the embedded SQLite backend (its equivalents are covered in db.test.ts and tx.test.ts).
describe.skipIf(testBackend !== "postgres")("the PostgreSQL backend", () => {
  const t = useTempDatabase();

  it("re-opens its LISTEN connection after the server drops it, so wake-ups resume", async () => {
    const w = await wakeOnlyWorker(t.temp);
    try {
      await sleep(300);
      const killed = await withRead(t.db, (ex) =>
        ex.all<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = ?",
          [`LISTEN hive_${t.temp.openOptions.schema}`],
        ),
      );
      expect(killed).toEqual([{ ok: true }]);
      await sleep(1500); // reconnect backoff, then the worker's idle sleep again
      const task = await createTask(t.db, { title: "after the drop", taskType: "t" });
      const deadline = Date.now() + 20_000;
      while (!w.ran.includes(task.id) && Date.now() < deadline) await sleep(50);
      expect(w.ran).toContain(task.id);
    } finally {
      await w.stop();
    }
  });

  it("wakes a worker of a schema named in mixed case when a task is created (LISTEN folds the channel's case)", async () => {
    const temp = await tempDatabase("T_Mixed");
    try {
      const w = await wakeOnlyWorker(temp);
      try {
        await sleep(300); // its first probe found nothing; only a wake-up makes it look again
        const task = await createTask(temp.db, { title: "wake up", taskType: "t" });
        const deadline = Date.now() + 20_000;
        while (!w.ran.includes(task.id) && Date.now() < deadline) await sleep(50);
        expect(w.ran).toEqual([task.id]);
      } finally {
        await w.stop();
      }
    } finally {
      await temp.cleanup();
    }
  });

  it("deletes a task's runs from a session whose search_path does not name Hive's schema", async () => {
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: await makeWorker(t.db) });
    await completeTask(t.db, { taskId: task.id, token: c!.token });
    expect(await getRuns(t.db, task.id)).toHaveLength(1);
    const other = new pg.Client({ connectionString: TEST_PG_URL });
    await other.connect();
    try {
      await other.query("SET search_path = pg_catalog");
      await other.query(`DELETE FROM "${t.temp.openOptions.schema}".tasks WHERE id = $1`, [task.id]);
    } finally {
      await other.end();
    }
    expect(await getRuns(t.db, task.id)).toEqual([]);
  });

  it('compares ids and task status byte by byte (COLLATE "C"), whatever the database\'s collation', async () => {
    const rows = await withRead(t.db, (ex) =>
      ex.all<{ col: string; collation: string | null }>(
        `SELECT table_name || '.' || column_name AS col, collation_name AS collation
         FROM information_schema.columns WHERE table_schema = ? AND collation_name IS NOT NULL ORDER BY 1`,
        [t.temp.openOptions.schema ?? null],
      ),
    );
    expect(rows.filter((r) => r.collation === "C").map((r) => r.col)).toEqual([
      "runs.id",
      "runs.task_id",
      "runs.worker_id",
      "task_dependencies.depends_on_id",
      "task_dependencies.task_id",
      "tasks.id",
      "tasks.status",
      "workers.current_task_id",
      "workers.id",
    ]);
  });

  it("retries a transaction the server aborted for a deadlock, and both writers succeed", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const b = await createTask(t.db, { title: "b", taskType: "t" });
    const backend = t.db._backend;
    let attempts = 0;
    let inFirst!: () => void;
    const firstHolds = new Promise<void>((r) => {
      inFirst = r;
    });
    // Two transactions lock the same two rows in opposite orders: the server kills one (40P01).
    const one = backend.transaction(async (ex) => {
      attempts++;
      await ex.run("UPDATE tasks SET priority = priority + 1 WHERE id = ?", [a.id]);
      inFirst();
      await sleep(200);
      await ex.run("UPDATE tasks SET priority = priority + 1 WHERE id = ?", [b.id]);
    });
    const two = firstHolds.then(() =>
      backend.transaction(async (ex) => {
        attempts++;
        await ex.run("UPDATE tasks SET priority = priority + 10 WHERE id = ?", [b.id]);
        await ex.run("UPDATE tasks SET priority = priority + 10 WHERE id = ?", [a.id]);
      }),
    );
    await Promise.all([one, two]);
    expect(attempts).toBe(3);
    expect((await getTask(t.db, a.id))!.priority).toBe(1 + 11);
    expect((await getTask(t.db, b.id))!.priority).toBe(1 + 11);
  });

  it("retries a transaction whose connection was dropped, on a fresh connection", async () => {
    let attempts = 0;
    const task = await createTask(t.db, { title: "x", taskType: "t" });
    await t.db._backend.transaction(async (ex) => {
      attempts++;
      if (attempts === 1) await ex.get("SELECT pg_terminate_backend(pg_backend_pid())");
      await ex.run("UPDATE tasks SET priority = 7 WHERE id = ?", [task.id]);
    });
    expect(attempts).toBe(2);
    expect((await getTask(t.db, task.id))!.priority).toBe(7);
  });

  it("refuses an unreachable server or a bad schema name with DatabaseOpenError", async () => {
    await expect(openDatabase({ url: "postgres://postgres@127.0.0.1:1/test" })).rejects.toThrow(
      DatabaseOpenError,
    );
    await expect(openDatabase({ url: t.temp.openOptions.url!, schema: 'x"; DROP' })).rejects.toThrow(
      /schema name/,
    );
  });

  it("keeps Hive's schema when the URL carries options of its own, and applies those too", async () => {
    const schema = `${t.temp.openOptions.schema}_opt`;
    const url = `${TEST_PG_URL}?options=${encodeURIComponent("-c statement_timeout=61000")}&application_name=hive_opt`;
    const db = await openDatabase({ url, schema });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    try {
      const task = await createTask(db, { title: "in its schema", taskType: "t" });
      const where = await admin.query(`SELECT count(*)::int AS n FROM "${schema}".tasks WHERE id = $1`, [
        task.id,
      ]);
      expect(where.rows[0].n).toBe(1);
      const settings = await withRead(db, (ex) =>
        ex.get<{ timeout: string; path: string }>(
          "SELECT current_setting('statement_timeout') AS timeout, current_schema() AS path",
        ),
      );
      expect(settings).toEqual({ timeout: "61s", path: schema });
    } finally {
      await closeDatabase(db);
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
