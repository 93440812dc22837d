import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, heartbeatTask } from "./claims.ts";
import { IdempotencyConflictError } from "./errors.ts";
import { countTasksByStatus, createTask, createTasks, getTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";
import { transaction } from "./tx.ts";

const t = useTempDatabase();

const total = async () => Object.values(await countTasksByStatus(t.db)).reduce((a, b) => a + b, 0);

describe("createTask with an idempotency key", () => {
  it("returns the existing task for the same content, defaults, order of sets and JSON keys aside", async () => {
    const dep = await createTask(t.db, { title: "dep", taskType: "t" });
    const a = await createTask(t.db, {
      title: "charge",
      taskType: "pay",
      idempotencyKey: "k",
      payload: { amount: 5, currency: "EUR" },
      tags: ["a", "b"],
      dependsOn: [dep.id],
    });
    const b = await createTask(t.db, {
      title: "charge",
      taskType: "pay",
      idempotencyKey: "k",
      payload: { currency: "EUR", amount: 5 },
      tags: ["b", "a"],
      dependsOn: [dep.id, dep.id],
      priority: 1,
      maxRetries: 3,
      description: null,
      delayMs: 10_000,
    });
    expect(b.id).toBe(a.id);
    expect(await total()).toBe(2);
  });

  it("throws IdempotencyConflictError naming the key and the fields that differ, and writes nothing", async () => {
    const a = await createTask(t.db, {
      title: "charge $5",
      taskType: "pay",
      idempotencyKey: "k",
      payload: { amount: 5 },
    });
    const err = await createTask(t.db, {
      title: "charge $500",
      taskType: "pay",
      idempotencyKey: "k",
      payload: { amount: 500 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    const c = err as IdempotencyConflictError;
    expect(c.key).toBe("k");
    expect(c.taskId).toBe(a.id);
    expect(c.fields).toEqual(["title", "payload"]);
    expect(c.message).toContain('"k"');
    expect(c.message).toContain("title, payload");
    expect(await total()).toBe(1);
    expect((await getTask(t.db, a.id))!.title).toBe("charge $5");
  });

  it("counts every input that says what the task is, compared after defaults", async () => {
    const dep = await createTask(t.db, { title: "dep", taskType: "t" });
    await createTask(t.db, { title: "x", taskType: "t", idempotencyKey: "k" });
    const differing: [string, Record<string, unknown>][] = [
      ["taskType", { taskType: "u" }],
      ["description", { description: "d" }],
      ["priority", { priority: 2 }],
      ["workflow", { workflow: { a: 1 } }],
      ["payload", { payload: {} }],
      ["tags", { tags: ["a"] }],
      ["requiredSkills", { requiredSkills: ["gpu"] }],
      ["maxRetries", { maxRetries: 0 }],
      ["dueDate", { dueDate: 1_900_000_000_000 }],
      ["dependsOn", { dependsOn: [dep.id] }],
      ["id", { id: "another-id" }],
    ];
    for (const [field, change] of differing) {
      const err = await createTask(t.db, { title: "x", taskType: "t", idempotencyKey: "k", ...change }).catch(
        (e: unknown) => e,
      );
      expect(err, field).toBeInstanceOf(IdempotencyConflictError);
      expect((err as IdempotencyConflictError).fields, field).toEqual([field]);
    }
    expect(await total()).toBe(2);
  });

  it("does not count what the lifecycle changed since", async () => {
    await makeWorker(t.db);
    const input = { title: "x", taskType: "t", idempotencyKey: "k", currentPhase: "start" };
    const a = await createTask(t.db, input);
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await heartbeatTask(t.db, { taskId: a.id, token: c!.token, phase: "halfway" });
    await completeTask(t.db, { taskId: a.id, token: c!.token, result: { ok: true } });
    const again = await createTask(t.db, input);
    expect(again).toMatchObject({ id: a.id, status: "completed", currentPhase: "halfway" });
  });

  it("inside a caller's transaction, a conflict undoes only the create", async () => {
    await createTask(t.db, { title: "x", taskType: "t", idempotencyKey: "k" });
    await transaction(t.db, async (tx) => {
      await createTask(tx, { title: "kept", taskType: "t" });
      await expect(createTask(tx, { title: "y", taskType: "t", idempotencyKey: "k" })).rejects.toBeInstanceOf(
        IdempotencyConflictError,
      );
    });
    expect(await total()).toBe(2);
  });
});

describe("createTasks with idempotency keys", () => {
  it("returns the earlier item's task for a later item with the same key and content", async () => {
    const [x, y] = await createTasks(t.db, [
      { title: "one", taskType: "t", idempotencyKey: "k2" },
      { title: "one", taskType: "t", idempotencyKey: "k2", tags: [] },
    ]);
    expect(y!.id).toBe(x!.id);
    expect(await total()).toBe(1);
  });

  it("rejects the whole batch when a later item repeats a key with different content", async () => {
    await createTask(t.db, { title: "before", taskType: "t" });
    const err = await createTasks(t.db, [
      { title: "plain", taskType: "t" },
      { title: "one", taskType: "t", idempotencyKey: "k2" },
      { title: "two", taskType: "u", idempotencyKey: "k2" },
      { title: "plain after", taskType: "t" },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IdempotencyConflictError);
    expect((err as IdempotencyConflictError).fields).toEqual(["title", "taskType"]);
    expect(await total()).toBe(1);
  });

  it("rejects the whole batch when an item conflicts with a task stored before", async () => {
    await createTask(t.db, { title: "stored", taskType: "t", idempotencyKey: "k3" });
    await expect(
      createTasks(t.db, [
        { title: "new", taskType: "t" },
        { title: "other", taskType: "t", idempotencyKey: "k3" },
      ]),
    ).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect(await total()).toBe(1);
  });
});
