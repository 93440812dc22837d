import { describe, expect, it } from "vitest";
import { claimTasks } from "./claims.ts";
import { createTask, getTask } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";
import { getWorker, listWorkers, registerWorker, updateWorkerHeartbeat } from "./workers.ts";

const t = useTempDatabase();

describe("draining workers", () => {
  it("hands a draining worker nothing, records its heartbeat, and hands it work again once active", async () => {
    await registerWorker(t.db, { workerId: "w1", role: "r" });
    const task = await createTask(t.db, { title: "t", taskType: "x" });
    await updateWorkerHeartbeat(t.db, { workerId: "w1", status: "draining" });
    const before = (await getWorker(t.db, "w1"))!.lastHeartbeat;
    await sleep(5);
    expect(await claimTasks(t.db, { workerId: "w1", limit: 10 })).toEqual([]);
    const after = (await getWorker(t.db, "w1"))!;
    expect(after.status).toBe("draining");
    expect(after.lastHeartbeat).toBeGreaterThan(before);
    expect((await getTask(t.db, task.id))!.status).toBe("queued");
    // A heartbeat without a status keeps it draining: only an explicit status ends it.
    await updateWorkerHeartbeat(t.db, "w1");
    expect((await getWorker(t.db, "w1"))!.status).toBe("draining");
    // Another worker is not held back by it.
    await registerWorker(t.db, { workerId: "w2", role: "r" });
    await updateWorkerHeartbeat(t.db, { workerId: "w1", status: "active" });
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 10 });
    expect(claimed.map((c) => c.task.id)).toEqual([task.id]);
  });

  it("a draining worker does not keep others from the queue", async () => {
    await registerWorker(t.db, { workerId: "w1", role: "r" });
    await registerWorker(t.db, { workerId: "w2", role: "r" });
    await updateWorkerHeartbeat(t.db, { workerId: "w1", status: "draining" });
    const task = await createTask(t.db, { title: "t", taskType: "x" });
    expect(await claimTasks(t.db, { workerId: "w1", limit: 1 })).toEqual([]);
    expect((await claimTasks(t.db, { workerId: "w2", limit: 1 })).map((c) => c.task.id)).toEqual([task.id]);
  });

  it("Worker.stop() shows the worker draining while its handlers finish, claims nothing meanwhile, then offline", async () => {
    const first = await createTask(t.db, { title: "running", taskType: "d" });
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = new Worker({
      db: t.db,
      role: "drainer",
      leaseMs: 5000,
      pollMinMs: 5,
      pollMaxMs: 20,
      reaperIntervalMs: 0,
      handler: async () => {
        await gate;
        return "done";
      },
    });
    await w.start();
    try {
      await waitUntil(async () => (await getTask(t.db, first.id))!.status === "in_progress", "first claimed");
      const stopped = w.stop({ timeoutMs: 10_000 });
      await waitUntil(async () => (await getWorker(t.db, w.id))!.status === "draining", "worker draining");
      expect((await listWorkers(t.db, "draining")).map((x) => x.id)).toEqual([w.id]);
      const second = await createTask(t.db, { title: "after the stop", taskType: "d" });
      await sleep(100); // several poll periods: a claim, had one been made, would show
      expect((await getTask(t.db, second.id))!.status).toBe("queued");
      release();
      await stopped;
      expect((await getTask(t.db, first.id))!.status).toBe("completed");
      expect((await getTask(t.db, second.id))!.status).toBe("queued");
      expect((await getWorker(t.db, w.id))!.status).toBe("offline");
    } finally {
      release();
      await w.stop();
    }
  });
});
