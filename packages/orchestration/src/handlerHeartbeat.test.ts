import { describe, expect, it } from "vitest";
import { getRuns } from "./runs.ts";
import { createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";

const t = useTempDatabase();

describe("a handler's heartbeat(phase)", () => {
  it("records the phase on the task and its run, and saves the log so far while the handler still runs", async () => {
    const task = await createTask(t.db, { title: "build", taskType: "t" });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let beaten = false;
    const w = await new Worker({
      db: t.db,
      role: "r",
      leaseMs: 5000,
      pollMaxMs: 50,
      reaperIntervalMs: 0,
      handler: async ({ log, heartbeat }) => {
        log("step 1 done");
        await heartbeat("compiling");
        beaten = true;
        await held;
        return { ok: true };
      },
    }).start();
    try {
      await waitUntil(async () => beaten, "the handler's heartbeat", 5000);
      expect((await getTask(t.db, task.id))!.currentPhase).toBe("compiling");
      const [run] = await getRuns(t.db, task.id);
      expect(run).toMatchObject({ status: "running", phase: "compiling", outputLog: "step 1 done" });
      release();
      await waitUntil(async () => (await getTask(t.db, task.id))!.status === "completed", "completed", 5000);
    } finally {
      release();
      await w.stop();
    }
  });
});
