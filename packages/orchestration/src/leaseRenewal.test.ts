import pg from "pg";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, renewLeases } from "./claims.ts";
import { getRuns } from "./runs.ts";
import { cancelTask, createTasks, getTask } from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";

const t = useTempDatabase();

describe("renewLeases", () => {
  it("renews every lease it names in one call, and says which were cancelled or lost", async () => {
    await makeWorker(t.db);
    const [a, b, c] = await createTasks(t.db, [
      { title: "a", taskType: "t" },
      { title: "b", taskType: "t" },
      { title: "c", taskType: "t" },
    ]);
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 3, leaseMs: 1000 });
    const token = (id: string) => claimed.find((x) => x.task.id === id)!.token;
    await cancelTask(t.db, b!.id);
    await completeTask(t.db, { taskId: c!.id, token: token(c!.id) });
    const before = Date.now();
    const r = await renewLeases(
      t.db,
      [
        { taskId: a!.id, token: token(a!.id) },
        { taskId: b!.id, token: token(b!.id) },
        { taskId: c!.id, token: token(c!.id) },
        { taskId: "gone", token: 1 },
      ],
      60_000,
    );
    expect(Object.fromEntries(r)).toEqual({
      [a!.id]: "renewed",
      [b!.id]: "cancelled",
      [c!.id]: "lost",
      gone: "lost",
    });
    expect((await getTask(t.db, a!.id))!.leaseExpiresAt).toBeGreaterThanOrEqual(before + 60_000);
  });
});

describe.skipIf(testBackend !== "postgres")(
  "a worker's heartbeat with one task row locked elsewhere (PostgreSQL)",
  () => {
    it("still renews the other leases: their tasks run once, on this worker", async () => {
      const [t1, t2, t3] = await createTasks(t.db, [
        { title: "t1", taskType: "slow" },
        { title: "t2", taskType: "slow" },
        { title: "t3", taskType: "slow" },
      ]);
      const started = new Set<string>();
      const w = await new Worker({
        db: t.db,
        role: "r",
        concurrency: 3,
        leaseMs: 1500,
        heartbeatMs: 300,
        pollMaxMs: 50,
        reaperIntervalMs: 100,
        handler: async ({ task }) => {
          started.add(task.id);
          await sleep(3000);
          return { ok: true };
        },
      }).start();
      const locker = new pg.Client({ connectionString: TEST_PG_URL });
      await locker.connect();
      try {
        await waitUntil(async () => started.size === 3, "all three running", 5000);
        const schema = (t.temp.openOptions as { schema: string }).schema;
        await locker.query("BEGIN");
        await locker.query(`SELECT 1 FROM "${schema}".tasks WHERE id = $1 FOR UPDATE`, [t1!.id]);
        await sleep(2500); // past the 1.5 s lease of anything not renewed meanwhile
        await locker.query("COMMIT");
        await waitUntil(
          async () =>
            (await getTask(t.db, t2!.id))!.status === "completed" &&
            (await getTask(t.db, t3!.id))!.status === "completed",
          "t2 and t3 completed",
          10_000,
        );
      } finally {
        await locker.end();
        await w.stop({ timeoutMs: 5000 });
      }
      for (const task of [t2!, t3!]) {
        const runs = await getRuns(t.db, task.id);
        expect(runs.map((r) => r.status)).toEqual(["completed"]);
      }
    });
  },
);
