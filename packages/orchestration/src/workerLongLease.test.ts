import { describe, expect, it } from "vitest";
import { createTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

describe("Worker with a long lease", () => {
  it("writes its row at least every 10 s while busy, within the 30 s after which reapers mark a worker offline", async () => {
    let release = () => {};
    let running = false;
    // leaseMs 90 s: leases renewed every 30 s. Busy with one task and no prefetch, the worker
    // claims nothing, so only its heartbeat writes its row: every 30 s, the reapers' timeout.
    const w = new Worker({
      db: t.db,
      workerId: "long",
      role: "agent",
      leaseMs: 90_000,
      concurrency: 1,
      prefetch: 0,
      reaperIntervalMs: 0,
      handler: () => {
        running = true;
        return new Promise<void>((r) => {
          release = r;
        });
      },
    });
    await w.start();
    try {
      await createTask(t.db, { title: "long", taskType: "agent" });
      await waitUntil(() => running, "the handler to start");
      const before = (await getWorker(t.db, "long"))!.lastHeartbeat;
      await waitUntil(
        async () => (await getWorker(t.db, "long"))!.lastHeartbeat > before,
        "a heartbeat of the busy worker",
        15_000,
      );
      expect(running).toBe(true);
      expect((await getWorker(t.db, "long"))!.status).toBe("active");
    } finally {
      release();
      await w.stop();
    }
  }, 60_000);
});
