import { describe, expect, it } from "vitest";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

describe("Worker reaper and other workers' heartbeats", () => {
  it("does not mark a live worker with a longer heartbeat period offline by its own short period", async () => {
    const offline: string[] = [];
    t.db.events.on("worker.offline", (e) => offline.push(e.workerId));
    // Heartbeats every second (leaseMs / 3): alive, on its own schedule.
    const slow = new Worker({
      db: t.db,
      workerId: "slow",
      role: "deployer",
      leaseMs: 3000,
      reaperIntervalMs: 0,
      handler: () => {},
    });
    // Short leases: heartbeats every 100 ms, reaps every 50 ms.
    const fast = new Worker({
      db: t.db,
      workerId: "fast",
      role: "agent",
      leaseMs: 300,
      reaperIntervalMs: 50,
      handler: () => {},
    });
    await slow.start();
    await fast.start();
    try {
      // Two of the slow worker's heartbeats: it was silent ~1 s twice, while the fast one reaped.
      const seen = new Set<number>();
      await waitUntil(async () => {
        seen.add((await getWorker(t.db, "slow"))!.lastHeartbeat);
        return seen.size >= 3;
      }, "two heartbeats of the slow worker");
      expect(offline).not.toContain("slow");
      expect((await getWorker(t.db, "slow"))!.status).toBe("active");
    } finally {
      await fast.stop();
      await slow.stop();
    }
  });
});
