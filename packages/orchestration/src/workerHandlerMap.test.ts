import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { type TaskHandler, Worker } from "./worker.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

/** The ValidationError the constructor throws, or what it threw instead. */
function refusal(handler: Record<string, TaskHandler>, taskTypes?: string[]): unknown {
  try {
    new Worker({ db: t.db, role: "r", handler, ...(taskTypes ? { taskTypes } : {}) });
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("Worker handler map", () => {
  it("refuses an empty map, which claimed every task type and failed each task for good", async () => {
    const task = await createTask(t.db, { title: "someone else's", taskType: "build" });
    const err = refusal({});
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain("handler");
    expect((await getTask(t.db, task.id))!.status).toBe("queued");
  });

  it("refuses task types the map has no handler for, and keys that are no task type createTask stores", () => {
    const noop: TaskHandler = () => {};
    for (const [handler, taskTypes, named] of [
      [{ build: noop }, ["build", "deploy"], "deploy"],
      [{ " build ": noop }, undefined, " build "],
      [{ build: undefined as unknown as TaskHandler }, undefined, "build"],
    ] as const) {
      const err = refusal(handler, taskTypes ? [...taskTypes] : undefined);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain(`"${named}"`);
    }
  });

  it("still runs a map's task types, and only those", async () => {
    const build = await createTask(t.db, { title: "b", taskType: "build" });
    const other = await createTask(t.db, { title: "o", taskType: "deploy" });
    const w = new Worker({ db: t.db, role: "r", reaperIntervalMs: 0, handler: { build: () => "built" } });
    await w.start();
    try {
      await waitUntil(async () => (await getTask(t.db, build.id))!.status === "completed", "build done");
    } finally {
      await w.stop();
    }
    expect((await getTask(t.db, other.id))!.status).toBe("queued");
    expect((await getWorker(t.db, w.id))!.status).toBe("offline");
  });
});
