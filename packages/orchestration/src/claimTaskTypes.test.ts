import { describe, expect, it } from "vitest";
import { claimTasks, hasClaimableTasks } from "./claims.ts";
import { ValidationError } from "./errors.ts";
import { createTask, getQueuedTasks, getTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("claimTasks task types", () => {
  it("match a type given with surrounding spaces, as createTask and getQueuedTasks read it", async () => {
    const w = await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: " build " });
    expect((await getQueuedTasks(t.db, 10, " build ")).map((x) => x.id)).toEqual([task.id]);
    expect(await hasClaimableTasks(t.db, [" build "])).toBe(true);
    const claimed = await claimTasks(t.db, { workerId: w, taskTypes: [" build "] });
    expect(claimed.map((c) => c.task.id)).toEqual([task.id]);
  });

  it("refuses a blank type by name and claims nothing", async () => {
    const w = await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "build" });
    const err = await claimTasks(t.db, { workerId: w, taskTypes: ["  "] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain("taskTypes");
    expect((await getTask(t.db, task.id))!.status).toBe("queued");
  });
});
