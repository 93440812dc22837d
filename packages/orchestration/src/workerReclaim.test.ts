import { describe, expect, it } from "vitest";
import { getRuns } from "./runs.ts";
import { cancelTask, createTask, getTask, requeueTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";

const t = useTempDatabase();

/** A promise with its resolve function. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe("Worker holding a task claimed again while its old run's handler still runs", () => {
  it("keeps the new run held (renewed, aborted on stop) when the old run's late outcome is refused", async () => {
    const task = await createTask(t.db, { title: "t", taskType: "t" });
    const oldRun = gate();
    const newRun = gate();
    const signals: AbortSignal[] = [];
    const w = new Worker({
      db: t.db,
      role: "r",
      concurrency: 2,
      // The cancel is not seen by a heartbeat during the test: the old handler runs on.
      leaseMs: 60_000,
      heartbeatMs: 20_000,
      reaperIntervalMs: 0,
      handler: async ({ signal, attempt }) => {
        signals.push(signal);
        if (attempt === 1) {
          await oldRun.promise; // ignores its signal (a call that cannot be interrupted)
          return "old";
        }
        await Promise.race([newRun.promise, new Promise((r) => signal.addEventListener("abort", r))]);
        if (signal.aborted) throw new Error("aborted");
        return "new";
      },
    });
    await w.start();
    try {
      await waitUntil(() => signals.length === 1, "the first run started");
      // An operator cancels the task and puts it back at once; this worker takes it again.
      await cancelTask(t.db, task.id);
      await requeueTask(t.db, task.id, { resetAttempts: false });
      await waitUntil(() => signals.length === 2, "the second run started");
      // The first run's handler finishes late: its outcome is refused (lease lost)...
      oldRun.open();
      await waitUntil(() => w.stats.lostLeases === 1, "the old outcome refused");
      // ...and the worker still holds the second run, which is running.
      expect(w.holding).toBe(1);
      await w.stop({ timeoutMs: 100 });
      // The stop aborted the handler of the run it held.
      expect(signals[1]!.aborted).toBe(true);
      expect(signals[0]!.aborted).toBe(true);
    } finally {
      newRun.open();
      await w.stop();
    }
    const after = (await getTask(t.db, task.id))!;
    expect(after.status).not.toBe("in_progress");
    expect((await getRuns(t.db, task.id)).map((r) => r.status)).toEqual(["cancelled", "failed"]);
  });
});
