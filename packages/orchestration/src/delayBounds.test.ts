import { MAX_DELAY_MS, TaskSchema } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, failTask } from "./claims.ts";
import { ValidationError } from "./errors.ts";
import { cancelTask, createTask, getTask, requeueTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

// now + an unbounded delay passed Number.MAX_SAFE_INTEGER: the task came back with a run_at
// that is no Timestamp (TaskSchema refused the very Task the call returned).
describe("delays before run_at are bounded like createTask's delayMs", () => {
  it("refuses a requeue delay past MAX_DELAY_MS, naming the field, and changes nothing", async () => {
    const a = await cancelTask(t.db, (await createTask(t.db, { title: "a", taskType: "t" })).id);
    const err = await requeueTask(t.db, a.id, { delayMs: Number.MAX_SAFE_INTEGER - 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain("delayMs");
    expect(await getTask(t.db, a.id)).toEqual(a);
  });

  it("accepts a requeue delay of MAX_DELAY_MS, and the task is still a valid Task", async () => {
    const a = await cancelTask(t.db, (await createTask(t.db, { title: "a", taskType: "t" })).id);
    const requeued = await requeueTask(t.db, a.id, { delayMs: MAX_DELAY_MS });
    expect(requeued.runAt).toBeGreaterThanOrEqual(a.updatedAt + MAX_DELAY_MS);
    expect(TaskSchema.safeParse(await getTask(t.db, a.id)).success).toBe(true);
  });

  it("refuses a retry backoff past MAX_DELAY_MS, and the lease and task stay as they were", async () => {
    await makeWorker(t.db);
    await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    const huge = { baseDelayMs: Number.MAX_SAFE_INTEGER, maxDelayMs: Number.MAX_SAFE_INTEGER, jitter: 0 };
    const err = await failTask(
      t.db,
      { taskId: c!.task.id, token: c!.token, error: "boom" },
      { backoff: huge },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/baseDelayMs|maxDelayMs/);
    expect(await getTask(t.db, c!.task.id)).toEqual(c!.task);
  });
});
