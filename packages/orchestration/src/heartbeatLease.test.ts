import { describe, expect, it } from "vitest";
import { claimTasks, heartbeatTask } from "./claims.ts";
import { createTask, getTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

const HOUR = 3_600_000;

async function claimed(leaseMs: number) {
  await makeWorker(t.db);
  await createTask(t.db, { title: "long", taskType: "t" });
  const [c] = await claimTasks(t.db, { workerId: "w1", leaseMs });
  return c!;
}

describe("heartbeatTask", () => {
  it("without leaseMs never shortens a longer lease", async () => {
    const c = await claimed(HOUR);
    const hb = await heartbeatTask(t.db, { taskId: c.task.id, token: c.token });
    expect(hb.leaseExpiresAt).toBe(c.task.leaseExpiresAt);
    expect((await getTask(t.db, c.task.id))!.leaseExpiresAt).toBe(hb.leaseExpiresAt);
  });

  it("without leaseMs extends a shorter lease to now + 30 s", async () => {
    const c = await claimed(200);
    const before = Date.now();
    const hb = await heartbeatTask(t.db, { taskId: c.task.id, token: c.token });
    expect(hb.leaseExpiresAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(hb.leaseExpiresAt).toBeLessThanOrEqual(Date.now() + 30_000);
    expect((await getTask(t.db, c.task.id))!.leaseExpiresAt).toBe(hb.leaseExpiresAt);
  });

  it("with leaseMs sets the lease as given, shorter or longer", async () => {
    const c = await claimed(HOUR);
    const before = Date.now();
    const short = await heartbeatTask(t.db, { taskId: c.task.id, token: c.token, leaseMs: 1000 });
    expect(short.leaseExpiresAt).toBeGreaterThanOrEqual(before + 1000);
    expect(short.leaseExpiresAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect((await getTask(t.db, c.task.id))!.leaseExpiresAt).toBe(short.leaseExpiresAt);
    const long = await heartbeatTask(t.db, { taskId: c.task.id, token: c.token, leaseMs: 2 * HOUR });
    expect(long.leaseExpiresAt).toBeGreaterThanOrEqual(before + 2 * HOUR);
    expect((await getTask(t.db, c.task.id))!.leaseExpiresAt).toBe(long.leaseExpiresAt);
  });
});
