import pg from "pg";
import { describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "./db.ts";
import { CommitOutcomeUnknownError, ConnectionLostError } from "./errors.ts";
import { createTasks, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";

const t = useTempDatabase();

describe.skipIf(testBackend !== "postgres")("connections terminated under the library (PostgreSQL)", () => {
  it("are retried: every call either lands once, or says its commit's outcome is unknown", async () => {
    const app = `hive_connloss_${process.pid}`;
    const schema = (t.temp.openOptions as { schema: string }).schema;
    const db = await openDatabase({ url: `${TEST_PG_URL}?application_name=${app}`, schema, poolSize: 4 });
    const admin = new pg.Client({ connectionString: TEST_PG_URL });
    await admin.connect();
    let stop = false;
    let terminated = 0;
    const killer = (async () => {
      while (!stop) {
        const r = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
          [app],
        );
        terminated += r.rowCount ?? 0;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 40));
      }
    })();
    const outcomes: { title: string; ok: boolean; unknown: boolean; lost?: boolean; err?: string }[] = [];
    try {
      await Promise.all(
        Array.from({ length: 4 }, async (_, lane) => {
          for (let i = 0; i < 400; i++) {
            const title = `call-${lane}-${i}`;
            try {
              await createTasks(db, [
                { title, taskType: "t" },
                { title, taskType: "t" },
              ]);
              outcomes.push({ title, ok: true, unknown: false, lost: false });
            } catch (err) {
              outcomes.push({
                title,
                ok: false,
                unknown: err instanceof CommitOutcomeUnknownError,
                lost: err instanceof ConnectionLostError,
                err: String(err),
              });
            }
          }
        }),
      );
    } finally {
      stop = true;
      await killer;
      await admin.end();
      await closeDatabase(db);
    }
    expect(terminated).toBeGreaterThan(20);
    // A lost connection is retried: what reaches the caller is an unknown commit outcome, or,
    // once every attempt lost its connection, a ConnectionLostError; never a raw driver error
    // (the code-less "Connection terminated" / "not queryable" were once not retried, and the
    // last attempt's driver error reached the caller as it was).
    expect(outcomes.filter((o) => !o.ok && !o.unknown && !o.lost).map((o) => o.err)).toEqual([]);
    expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(outcomes.length / 2);
    const stored = new Map<string, number>();
    for (const task of await listTasks(t.db, { limit: 10_000 }))
      stored.set(task.title, (stored.get(task.title) ?? 0) + 1);
    for (const o of outcomes) {
      if (o.ok) expect(stored.get(o.title)).toBe(2);
      else expect([0, 2]).toContain(stored.get(o.title) ?? 0); // all or nothing, never twice
    }
  }, 60_000);
});
