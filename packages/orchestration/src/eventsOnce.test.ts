import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { EventBus } from "./events.ts";

describe("EventBus.once", () => {
  it("rejects at once with the reason when its signal is already aborted", async () => {
    const bus = new EventBus();
    const ac = new AbortController();
    const reason = new Error("gave up before waiting");
    ac.abort(reason);
    await expect(bus.once("task.created", () => true, ac.signal)).rejects.toBe(reason);
    // And it left no listener behind: a later event is delivered to nobody but the bus.
    expect(
      (bus as unknown as { emitter: { listenerCount(t: string): number } }).emitter.listenerCount(
        "task.created",
      ),
    ).toBe(0);
  });

  it("removes its abort listener from the signal once the event came", async () => {
    const bus = new EventBus();
    const ac = new AbortController();
    const p = bus.once("task.queued", (e) => e.taskId === "a", ac.signal);
    bus.publish([{ type: "task.queued", taskId: "a" }]);
    await expect(p).resolves.toEqual({ type: "task.queued", taskId: "a" });
    // A long-lived signal (a worker's, a server's) keeps no listener per event waited for.
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
  });
});
