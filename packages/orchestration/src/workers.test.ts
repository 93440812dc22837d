import { describe, expect, it } from "vitest";
import { claimTasks } from "./claims.ts";
import { ValidationError } from "./errors.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { getRuns } from "./runs.ts";
import { createTask } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";
import {
  getActiveWorkers,
  getWorker,
  listWorkers,
  registerWorker,
  unregisterWorker,
  updateWorkerHeartbeat,
} from "./workers.ts";

const t = useTempDatabase();

describe("workers", () => {
  it("registers idempotently: a second call refreshes the same worker instead of adding one", async () => {
    const first = await registerWorker(t.db, { workerId: "w1", role: "builder", capabilities: ["node"] });
    expect(first).toMatchObject({ id: "w1", role: "builder", status: "active", capabilities: ["node"] });
    await updateWorkerHeartbeat(t.db, { workerId: "w1", status: "offline" });
    const again = await registerWorker(t.db, {
      workerId: "w1",
      role: "deployer",
      capabilities: ["deploy"],
      metadata: { host: "a" },
    });
    expect(again).toMatchObject({ id: "w1", role: "deployer", status: "active", capabilities: ["deploy"] });
    expect(again.metadata).toEqual({ host: "a" });
    expect(again.registeredAt).toBe(first.registeredAt);
    expect(await listWorkers(t.db)).toHaveLength(1);
  });

  it("rejects invalid registrations with a ValidationError naming the field, writing nothing", async () => {
    const err = await registerWorker(t.db, { workerId: "w1", role: "  " }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("role");
    await expect(
      registerWorker(t.db, { workerId: "w2", role: "r", capabilities: "node" as unknown as string[] }),
    ).rejects.toThrow(/capabilities/);
    expect(await listWorkers(t.db)).toEqual([]);
  });

  it("records heartbeats, revives an offline worker, and answers false for an unknown one", async () => {
    const w = await registerWorker(t.db, { workerId: "w1", role: "r" });
    await updateWorkerHeartbeat(t.db, { workerId: "w1", status: "offline" });
    expect((await getWorker(t.db, "w1"))!.status).toBe("offline");
    await sleep(5);
    expect(await updateWorkerHeartbeat(t.db, "w1")).toBe(true);
    const after = (await getWorker(t.db, "w1"))!;
    expect(after.status).toBe("active");
    expect(after.lastHeartbeat).toBeGreaterThan(w.lastHeartbeat);
    expect(await updateWorkerHeartbeat(t.db, "nobody")).toBe(false);
    expect(await getWorker(t.db, "nobody")).toBeNull();
  });

  it("lists active workers, optionally of one role, without the offline ones", async () => {
    await registerWorker(t.db, { workerId: "p1", role: "planner" });
    await registerWorker(t.db, { workerId: "d1", role: "deployer" });
    await registerWorker(t.db, { workerId: "d2", role: "deployer" });
    await updateWorkerHeartbeat(t.db, { workerId: "d2", status: "offline" });
    expect((await getActiveWorkers(t.db)).map((w) => w.id).sort()).toEqual(["d1", "p1"]);
    expect((await getActiveWorkers(t.db, "deployer")).map((w) => w.id)).toEqual(["d1"]);
    expect((await listWorkers(t.db, "offline")).map((w) => w.id)).toEqual(["d2"]);
  });

  it("unregisters a worker, keeping its runs' history", async () => {
    await registerWorker(t.db, { workerId: "w1", role: "r" });
    const task = await createTask(t.db, { title: "x", taskType: "t" });
    await claimTasks(t.db, { workerId: "w1" });
    expect(await unregisterWorker(t.db, "w1")).toBe(true);
    expect(await getWorker(t.db, "w1")).toBeNull();
    expect(await unregisterWorker(t.db, "w1")).toBe(false);
    const runs = await getRuns(t.db, task.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.workerId).toBeNull();
  });

  it("lets the reaper mark a silent worker offline, and a heartbeat bring it back", async () => {
    await registerWorker(t.db, { workerId: "quiet", role: "r" });
    await registerWorker(t.db, { workerId: "lively", role: "r" });
    await sleep(60);
    await updateWorkerHeartbeat(t.db, "lively");
    const r = await reapExpiredLeases(t.db, { workerTimeoutMs: 40 });
    expect(r.offlineWorkers).toEqual(["quiet"]);
    expect((await getWorker(t.db, "lively"))!.status).toBe("active");
    await updateWorkerHeartbeat(t.db, "quiet");
    expect((await getWorker(t.db, "quiet"))!.status).toBe("active");
  });
});
