import type { HiveEvent } from "@hive/models";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTask, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

afterEach(() => {
  vi.restoreAllMocks();
});

describe("errors of event listeners", () => {
  it("never reject the committed operation nor skip other listeners when an onListenerError handler throws", async () => {
    const lastResort = vi.spyOn(console, "error").mockImplementation(() => {});
    const seen: string[] = [];
    const reported: unknown[] = [];
    t.db.events.on("task.created", () => {
      throw new Error("listener bug");
    });
    t.db.events.on("task.created", (e) => seen.push(`typed ${e.type}`));
    t.db.events.on("*", (e) => seen.push(`* ${e.type}`));
    t.db.events.onListenerError((err) => {
      throw err; // a "rethrow in dev" handler
    });
    t.db.events.onListenerError((err) => reported.push(err));

    const task = await createTask(t.db, { title: "x", taskType: "t" });

    expect((await listTasks(t.db)).map((x) => x.id)).toEqual([task.id]);
    expect(seen).toEqual(["typed task.created", "* task.created"]);
    expect(reported).toHaveLength(1); // the handler after the throwing one still hears of it
    expect(lastResort).toHaveBeenCalledTimes(1);
    expect(String(lastResort.mock.calls[0]![0])).toMatch(/onListenerError handler threw/);
  });

  it("routes an async listener's rejection to onListenerError, not to an unhandled rejection", async () => {
    const reported: Array<[unknown, HiveEvent]> = [];
    const seen: string[] = [];
    t.db.events.on("task.created", async () => {
      await Promise.resolve();
      throw new Error("async listener bug");
    });
    t.db.events.on("*", (e) => seen.push(e.type));
    t.db.events.onListenerError((err, event) => reported.push([err, event]));

    const task = await createTask(t.db, { title: "x", taskType: "t" });

    await vi.waitFor(() => expect(reported).toHaveLength(1), { timeout: 1000 });
    expect((reported[0]![0] as Error).message).toBe("async listener bug");
    expect(reported[0]![1]).toMatchObject({ type: "task.created", taskId: task.id });
    expect(seen).toEqual(["task.created"]);
  });

  it("report an async onListenerError handler's own rejection with console.error", async () => {
    const lastResort = vi.spyOn(console, "error").mockImplementation(() => {});
    t.db.events.on("task.created", () => {
      throw new Error("listener bug");
    });
    t.db.events.onListenerError(async () => {
      throw new Error("handler bug");
    });
    await createTask(t.db, { title: "x", taskType: "t" });
    await vi.waitFor(() => expect(lastResort).toHaveBeenCalledTimes(1), { timeout: 1000 });
  });
});
