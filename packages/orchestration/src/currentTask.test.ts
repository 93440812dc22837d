import { describe, expect, it } from "vitest";
import { claimTasks, releaseTasks } from "./claims.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { cancelTask, createTask, createTasks, getTask, updateTaskStatus } from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

const currentTaskOf = async (workerId: string) => (await getWorker(t.db, workerId))!.currentTaskId;

describe("workers.current_task_id", () => {
  it("no longer names a task released back to the queue", async () => {
    await makeWorker(t.db);
    await createTasks(t.db, [
      { title: "a", taskType: "t" },
      { title: "b", taskType: "t" },
    ]);
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 2 });
    expect(await currentTaskOf("w1")).toBe(claimed[0]!.task.id);
    expect(
      await releaseTasks(
        t.db,
        claimed.map((c) => ({ taskId: c.task.id, token: c.token })),
      ),
    ).toBe(2);
    expect(await currentTaskOf("w1")).toBeNull();
  });

  it("no longer names a running task that was cancelled", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await claimTasks(t.db, { workerId: "w1" });
    await cancelTask(t.db, a.id);
    expect(await currentTaskOf("w1")).toBeNull();
    const b = await createTask(t.db, { title: "b", taskType: "t" });
    await claimTasks(t.db, { workerId: "w1" });
    await updateTaskStatus(t.db, { taskId: b.id, status: "cancelled" });
    expect(await currentTaskOf("w1")).toBeNull();
  });

  it("no longer names a task whose lease the reaper took back, requeued or failed", async () => {
    await makeWorker(t.db, "w1");
    await makeWorker(t.db, "w2");
    const again = await createTask(t.db, { title: "again", taskType: "a" });
    const last = await createTask(t.db, { title: "last", taskType: "b", maxRetries: 0 });
    await claimTasks(t.db, { workerId: "w1", taskTypes: ["a"], leaseMs: 100 });
    await claimTasks(t.db, { workerId: "w2", taskTypes: ["b"], leaseMs: 100 });
    await sleep(150);
    // The workers heartbeat recently: the reaper takes the leases, not the workers.
    const r = await reapExpiredLeases(t.db);
    expect(r).toMatchObject({ requeued: [again.id], failed: [last.id], offlineWorkers: [] });
    expect((await getTask(t.db, last.id))!.status).toBe("failed");
    expect(await currentTaskOf("w1")).toBeNull();
    expect(await currentTaskOf("w2")).toBeNull();
  });

  it("keeps naming another task the worker still runs", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await claimTasks(t.db, { workerId: "w1" });
    const b = await createTask(t.db, { title: "b", taskType: "t" });
    const [cb] = await claimTasks(t.db, { workerId: "w1" });
    expect(await currentTaskOf("w1")).toBe(b.id);
    await cancelTask(t.db, a.id);
    expect(await currentTaskOf("w1")).toBe(b.id);
    await releaseTasks(t.db, [{ taskId: b.id, token: cb!.token }]);
    expect(await currentTaskOf("w1")).toBeNull();
  });
});
