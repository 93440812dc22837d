import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { DependencyNotFoundError, InvalidTransitionError, ValidationError } from "./errors.ts";
import { getRuns } from "./runs.ts";
import {
  cancelTask,
  countTasksByStatus,
  createTask,
  deleteTask,
  getQueuedTasks,
  getTask,
  getTasksByStatus,
  requeueTask,
  updateTaskStatus,
} from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { transaction } from "./tx.ts";

const t = useTempDatabase();
const total = async () => Object.values(await countTasksByStatus(t.db)).reduce((a, b) => a + b, 0);

describe("createTask", () => {
  it("stores a queued task with defaults and typed JSON", async () => {
    const task = await createTask(t.db, {
      title: "build",
      taskType: "build",
      payload: { n: 1 },
      tags: ["x"],
    });
    expect(task).toMatchObject({
      status: "queued",
      priority: 1,
      maxRetries: 3,
      attempts: 0,
      payload: { n: 1 },
      tags: ["x"],
    });
    expect(await getTask(t.db, task.id)).toEqual(task);
  });

  it("rejects invalid input with a ValidationError naming the field, and writes nothing", async () => {
    await expect(createTask(t.db, { title: "", taskType: "build" })).rejects.toThrow(
      /title: must not be empty/,
    );
    await expect(
      createTask(t.db, { title: "a", taskType: "b", priority: "high" as never }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await total()).toBe(0);
  });

  it("returns the same task for the same idempotency key, creating no duplicate", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t", idempotencyKey: "k1" });
    const b = await createTask(t.db, { title: "a again", taskType: "t", idempotencyKey: "k1" });
    expect(b.id).toBe(a.id);
    expect(await total()).toBe(1);
  });

  it("refuses unknown dependencies and writes nothing", async () => {
    await expect(createTask(t.db, { title: "a", taskType: "t", dependsOn: ["nope"] })).rejects.toBeInstanceOf(
      DependencyNotFoundError,
    );
    expect(await total()).toBe(0);
  });

  it("holds a delayed task until its run_at", async () => {
    await makeWorker(t.db);
    await createTask(t.db, { title: "later", taskType: "t", delayMs: 300 });
    expect(await claimTasks(t.db, { workerId: "w1" })).toHaveLength(0);
    await sleep(350);
    expect(await claimTasks(t.db, { workerId: "w1" })).toHaveLength(1);
  });

  it("can be enqueued inside the caller's transaction, and rolls back with it", async () => {
    await expect(
      transaction(t.db, async (tx) => {
        await createTask(tx, { title: "a", taskType: "t" });
        throw new Error("caller changed its mind");
      }),
    ).rejects.toThrow("caller changed its mind");
    expect(await total()).toBe(0);
  });
});

describe("reads", () => {
  it("getTask returns null for an unknown id", async () => {
    expect(await getTask(t.db, "missing")).toBeNull();
  });

  it("getTasksByStatus orders by priority desc then oldest", async () => {
    const low = await createTask(t.db, { title: "low", taskType: "t", priority: 1 });
    await sleep(2);
    const high1 = await createTask(t.db, { title: "high1", taskType: "t", priority: 9 });
    await sleep(2);
    const high2 = await createTask(t.db, { title: "high2", taskType: "t", priority: 9 });
    expect((await getTasksByStatus(t.db, "queued")).map((x) => x.id)).toEqual([high1.id, high2.id, low.id]);
  });

  it("getQueuedTasks honours the limit and the task type", async () => {
    for (let i = 0; i < 5; i++) await createTask(t.db, { title: `a${i}`, taskType: "a" });
    await createTask(t.db, { title: "b", taskType: "b" });
    expect(await getQueuedTasks(t.db, 3)).toHaveLength(3);
    expect((await getQueuedTasks(t.db, 10, "b")).map((x) => x.title)).toEqual(["b"]);
  });
});

describe("updateTaskStatus", () => {
  it("refuses illegal transitions naming from and to", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await expect(updateTaskStatus(t.db, { taskId: a.id, status: "completed" })).rejects.toThrow(
      /queued to completed/,
    );
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: a.id, token: c!.token });
    const err = await updateTaskStatus(t.db, { taskId: a.id, status: "in_progress" }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect(err.message).toMatch(/completed to in_progress/);
    expect((await getTask(t.db, a.id))!.status).toBe("completed");
  });

  it("updates metadata without changing status", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const u = await updateTaskStatus(t.db, {
      taskId: a.id,
      status: "queued",
      metadata: { currentPhase: "review" },
    });
    expect(u.currentPhase).toBe("review");
  });

  it("cancels a queued task and requeues it", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    expect((await updateTaskStatus(t.db, { taskId: a.id, status: "cancelled" })).status).toBe("cancelled");
    expect((await updateTaskStatus(t.db, { taskId: a.id, status: "queued" })).status).toBe("queued");
  });
});

describe("cancel, requeue, delete", () => {
  it("cancelling blocks the dependents (upstream_failed)", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const b = await createTask(t.db, { title: "b", taskType: "t", dependsOn: [a.id] });
    await cancelTask(t.db, a.id);
    expect((await getTask(t.db, b.id))!.status).toBe("upstream_failed");
    await expect(cancelTask(t.db, a.id)).rejects.toBeInstanceOf(InvalidTransitionError);
    await requeueTask(t.db, a.id);
    expect((await getTask(t.db, b.id))!.status).toBe("blocked");
  });

  it("deleting a task cascades to its runs; unknown ids return false", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: a.id, token: c!.token });
    expect(await getRuns(t.db, a.id)).toHaveLength(1);
    expect(await deleteTask(t.db, a.id)).toBe(true);
    expect(await getRuns(t.db, a.id)).toHaveLength(0);
    expect(await deleteTask(t.db, a.id)).toBe(false);
  });

  it("refuses to delete a running task", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await claimTasks(t.db, { workerId: "w1" });
    await expect(deleteTask(t.db, a.id)).rejects.toBeInstanceOf(InvalidTransitionError);
  });
});
