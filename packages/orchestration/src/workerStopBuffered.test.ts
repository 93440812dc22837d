import { describe, expect, it } from "vitest";
import { getRuns } from "./runs.ts";
import { createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";

const t = useTempDatabase();

describe("Worker stop and its prefetched tasks", () => {
  it("starts no buffered task once stopping, even when a running handler frees its slot", async () => {
    const first = await createTask(t.db, { title: "first", taskType: "t", priority: 2 });
    const second = await createTask(t.db, { title: "second", taskType: "t", priority: 1 });
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const started: string[] = [];
    const w = new Worker({
      db: t.db,
      role: "r",
      concurrency: 1,
      prefetch: 1,
      reaperIntervalMs: 0,
      handler: async ({ task }) => {
        started.push(task.title);
        if (task.title === "first") await gate;
        return task.title;
      },
    });
    await w.start();
    await waitUntil(() => w.holding === 2 && started.length === 1, "one running, one prefetched");
    const stopped = w.stop();
    open(); // the running handler finishes while the stop is under way
    await stopped;
    expect(started).toEqual(["first"]);
    expect((await getTask(t.db, first.id))!.status).toBe("completed");
    const after = (await getTask(t.db, second.id))!;
    expect([after.status, after.attempts]).toEqual(["queued", 0]);
    expect(await getRuns(t.db, second.id)).toEqual([]);
  });
});
