import pg from "pg";
import { describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "./db.ts";
import { DatabaseBusyError } from "./errors.ts";
import { cancelTask, createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";

const t = useTempDatabase();

describe.skipIf(testBackend !== "postgres")(
  "a lock wait past the session's lock_timeout (PostgreSQL)",
  () => {
    it("is a DatabaseBusyError (code 55P03) and writes nothing", async () => {
      const schema = (t.temp.openOptions as { schema: string }).schema;
      const task = await createTask(t.db, { title: "locked", taskType: "t" });
      const db = await openDatabase({ url: `${TEST_PG_URL}?options=-c%20lock_timeout%3D200`, schema });
      const locker = new pg.Client({ connectionString: TEST_PG_URL });
      await locker.connect();
      try {
        await locker.query("BEGIN");
        await locker.query(`SELECT 1 FROM "${schema}".tasks WHERE id = $1 FOR UPDATE`, [task.id]);
        const refused = cancelTask(db, task.id);
        await expect(refused).rejects.toBeInstanceOf(DatabaseBusyError);
        await expect(refused).rejects.toMatchObject({ code: "55P03" });
        await locker.query("ROLLBACK");
        expect((await getTask(t.db, task.id))!.status).toBe("queued");
      } finally {
        await locker.end();
        await closeDatabase(db);
      }
    });
  },
);
