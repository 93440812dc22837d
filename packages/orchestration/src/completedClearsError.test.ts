import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { createTask, getTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("a task completed on a later attempt", () => {
  it("keeps no last error: the failed attempt's error stays in its run", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "flaky", taskType: "t", maxRetries: 2 });
    const [first] = await claimTasks(t.db, { workerId: "w1" });
    await failTask(
      t.db,
      { taskId: task.id, token: first!.token, error: "transient" },
      { backoff: { baseDelayMs: 0, jitter: 0 } },
    );
    expect((await getTask(t.db, task.id))!.lastError).toBe("transient");
    const [second] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: task.id, token: second!.token, result: 1 });
    expect(await getTask(t.db, task.id)).toMatchObject({ status: "completed", lastError: null, attempts: 2 });
  });
});
