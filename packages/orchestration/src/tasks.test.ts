import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, completeTasks, failTask, hasClaimableTasks } from "./claims.ts";
import { DependencyNotFoundError, HiveError, InvalidTransitionError, ValidationError } from "./errors.ts";
import type { Transaction } from "./handle.ts";
import { checkDatabase } from "./integrity.ts";
import { getRuns } from "./runs.ts";
import {
  cancelTask,
  countTasksByStatus,
  createTask,
  createTasks,
  deleteTask,
  getQueuedTasks,
  getTask,
  getTaskDependencies,
  getTasksByStatus,
  listTasks,
  requeueTask,
  updateTaskStatus,
} from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { transaction, withTx } from "./tx.ts";

const t = useTempDatabase();

/**
 * Runs `write` in a transaction of its own left open: `written` resolves with its value once it
 * has run, uncommitted; `commit()` lets the transaction commit and waits for it.
 */
function openTransaction<T>(write: (tx: Transaction) => Promise<T>) {
  let letCommit!: () => void;
  const held = new Promise<void>((r) => (letCommit = r));
  let wrote!: (value: T) => void;
  let failed!: (err: unknown) => void;
  const written = new Promise<T>((resolve, reject) => {
    wrote = resolve;
    failed = reject;
  });
  const done = transaction(t.db, async (tx) => {
    try {
      wrote(await write(tx));
    } catch (err) {
      failed(err);
      throw err;
    }
    await held;
  });
  return {
    written,
    commit: async () => {
      letCommit();
      await done;
    },
  };
}
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

  it("names the first ten problems of a bad batch in the message and lists every one in issues", async () => {
    const inputs = Array.from({ length: 1000 }, (_, i) =>
      i % 2 === 0 ? { title: `ok ${i}`, taskType: "t" } : { title: "", taskType: "t" },
    );
    const err = await createTasks(t.db, inputs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.issues).toHaveLength(500);
    expect(v.issues[0]).toEqual({ path: "1.title", message: "must not be empty" });
    expect(v.message).toContain("1.title: must not be empty");
    expect(v.message).toContain("19.title");
    expect(v.message).not.toContain("21.title");
    expect(v.message).toMatch(/and 490 more/);
    expect(v.message.length).toBeLessThan(1000);
    expect(await total()).toBe(0);
  });

  it("returns the same task for the same idempotency key, creating no duplicate", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t", idempotencyKey: "k1" });
    const b = await createTask(t.db, { title: "a", taskType: "t", idempotencyKey: "k1" }); // a retry of the same call
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

  it.each([
    ["completes", "queued"],
    ["fails for good", "upstream_failed"],
  ] as const)(
    "waits on a dependency that %s in a transaction still open, then sees its outcome",
    async (what, want) => {
      const w = await makeWorker(t.db);
      const dep = await createTask(t.db, { title: "dep", taskType: "t", maxRetries: 0 });
      const [c] = await claimTasks(t.db, { workerId: w });
      // The dependency's outcome is written, not yet committed, when the dependent is created.
      const outcome = openTransaction(async (tx) => {
        if (what === "completes") await completeTask(tx, { taskId: dep.id, token: c!.token });
        else await failTask(tx, { taskId: dep.id, token: c!.token, error: "boom", retryable: false });
      });
      await outcome.written;
      const dependent = createTask(t.db, { title: "after", taskType: "t", dependsOn: [dep.id] });
      await sleep(150);
      await outcome.commit();
      const created = await dependent;
      // Whichever commits first, the dependent must not wait for an outcome it missed.
      expect((await getTask(t.db, created.id))!.status).toBe(want);
      expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 0 });
    },
  );

  it("is released by a dependency's completion that came while its own creation was uncommitted", async () => {
    const w = await makeWorker(t.db);
    const dep = await createTask(t.db, { title: "dep", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: w });
    const creation = openTransaction(
      async (tx) => (await createTask(tx, { title: "after", taskType: "t", dependsOn: [dep.id] })).id,
    );
    const id = await creation.written;
    const completion = completeTask(t.db, { taskId: dep.id, token: c!.token });
    await sleep(150);
    await creation.commit();
    await completion;
    expect((await getTask(t.db, id))!.status).toBe("queued");
    expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 0 });
  });

  it("with such a completion in a batch, has each edge of the batch counted once", async () => {
    const w = await makeWorker(t.db);
    const [a, b, c] = await createTasks(t.db, [
      { title: "a", taskType: "t" },
      { title: "b", taskType: "t" },
      { title: "c", taskType: "later" },
    ]);
    const x = await createTask(t.db, { title: "x", taskType: "t", dependsOn: [a!.id, b!.id, c!.id] });
    const claimed = await claimTasks(t.db, { workerId: w, taskTypes: ["t"], limit: 2 });
    expect(claimed.map((k) => k.task.id).sort()).toEqual([a!.id, b!.id].sort());
    const creation = openTransaction(
      async (tx) => (await createTask(tx, { title: "y", taskType: "t", dependsOn: [a!.id] })).id,
    );
    const y = await creation.written;
    const completion = completeTasks(
      t.db,
      claimed.map((k) => ({ taskId: k.task.id, token: k.token })),
    );
    await sleep(150);
    await creation.commit();
    expect((await completion).every((r) => r.ok)).toBe(true);
    expect((await getTask(t.db, y))!.status).toBe("queued");
    expect((await getTask(t.db, x.id))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 0 });
  });

  it("marks a dependency once per transaction, and again after a savepoint that marked it rolled back", async () => {
    const w = await makeWorker(t.db);
    const dep = await createTask(t.db, { title: "dep", taskType: "t" });
    const version = () =>
      withTx(t.db, async (tx) =>
        Number(
          (await tx.ex.get<{ v: number }>("SELECT dependents_version AS v FROM tasks WHERE id = ?", [
            dep.id,
          ]))!.v,
        ),
      );
    const many = await createTasks(
      t.db,
      [1, 2, 3].map((i) => ({ title: `c${i}`, taskType: "t", dependsOn: [dep.id] })),
    );
    expect(await version()).toBe(1);
    const kept = await transaction(t.db, async (tx) => {
      await transaction(tx, async (inner) => {
        await createTask(inner, { title: "undone", taskType: "t", dependsOn: [dep.id] });
        throw new Error("roll back this savepoint");
      }).catch(() => {});
      return createTask(tx, { title: "kept", taskType: "t", dependsOn: [dep.id] });
    });
    expect(await version()).toBe(2);
    const [c] = await claimTasks(t.db, { workerId: w, taskTypes: ["t"] });
    expect(c!.task.id).toBe(dep.id);
    await completeTask(t.db, { taskId: dep.id, token: c!.token });
    for (const task of [...many, kept]) expect((await getTask(t.db, task.id))!.status).toBe("queued");
    expect((await listTasks(t.db)).map((x) => x.title)).not.toContain("undone");
  });

  it("marks its dependencies as having dependents (dependents_version), which checkDatabase checks", async () => {
    const dep = await createTask(t.db, { title: "dep", taskType: "t" });
    await createTask(t.db, { title: "after", taskType: "t", dependsOn: [dep.id] });
    expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 0 });
    await withTx(t.db, (tx) => tx.ex.run("UPDATE tasks SET dependents_version = 0 WHERE id = ?", [dep.id]));
    expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 1 });
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

describe("createTasks", () => {
  const created = () => {
    const ids: string[] = [];
    t.db.events.on("task.created", (e) => ids.push((e as HiveEvent & { taskId: string }).taskId));
    return ids;
  };

  it("returns each task as getTask reads it back, in input order, with every field set", async () => {
    // 1,037 = 5 × 200 + 40 + 1: every multi-row statement size is used, and one single row.
    const inputs = Array.from({ length: 1037 }, (_, i) => ({
      title: ` t${i} `,
      taskType: "bulk",
      payload: { i, nested: { list: [1, "two", null, true] } },
      ...(i % 3 === 0 ? { tags: ["a", "b"], requiredSkills: ["gpu"], workflow: { steps: ["x"] } } : {}),
      ...(i % 5 === 0 ? { description: "d", priority: -3, maxRetries: 0, dueDate: 5, delayMs: 1000 } : {}),
      ...(i % 7 === 0 ? { runAt: 42, currentPhase: "review" } : {}),
    }));
    const ids = created();
    const tasks = await createTasks(t.db, inputs);
    expect(tasks.map((x) => x.title)).toEqual(inputs.map((x) => x.title.trim()));
    expect(new Set(tasks.map((x) => x.id)).size).toBe(1037);
    expect(ids).toEqual(tasks.map((x) => x.id));
    for (const task of tasks) expect(await getTask(t.db, task.id)).toEqual(task);
    expect(tasks[0]).toMatchObject({ tags: ["a", "b"], requiredSkills: ["gpu"], workflow: { steps: ["x"] } });
    expect(tasks[0]).toMatchObject({ description: "d", priority: -3, maxRetries: 0, dueDate: 5, runAt: 42 });
    expect(tasks[5]!.runAt).toBe(tasks[5]!.createdAt + 1000);
    expect(tasks[1]).toMatchObject({ tags: [], requiredSkills: [], workflow: null, description: null });
  });

  it("writes a value that differs from the rest of its batch only in the first or last row", async () => {
    // Rows 0-199 and 200-399 are one statement each; columns alike in a whole chunk are bound once.
    const inputs = Array.from({ length: 400 }, (_, i) => ({
      title: i < 200 ? `t${i}` : "same",
      taskType: "uniform",
      ...(i === 0 ? { priority: 7 } : {}),
      ...(i === 199 ? { description: "last", tags: ["z"] } : {}),
      ...(i === 200 ? { payload: { first: true } } : {}),
      ...(i === 399 ? { maxRetries: 9, currentPhase: "end" } : {}),
    }));
    const tasks = await createTasks(t.db, inputs);
    for (const task of tasks) expect(await getTask(t.db, task.id)).toEqual(task);
    expect(tasks.map((x) => x.priority)).toEqual(inputs.map((_, i) => (i === 0 ? 7 : 1)));
    expect(tasks.filter((x) => x.description !== null).map((x) => x.title)).toEqual(["t199"]);
    expect(tasks.filter((x) => x.tags.length > 0).map((x) => x.title)).toEqual(["t199"]);
    expect(tasks.map((x) => x.payload)).toEqual(inputs.map((_, i) => (i === 200 ? { first: true } : null)));
    expect(tasks[399]).toMatchObject({ maxRetries: 9, currentPhase: "end", title: "same" });
    expect(tasks.filter((x) => x.maxRetries !== 3 || x.currentPhase !== "start")).toHaveLength(1);
    expect(new Set(tasks.map((x) => x.id)).size).toBe(400);
  });

  it("writes every batch right when batches differ in more column combinations than are kept", async () => {
    // 100 batches, each differing from the others in which columns vary (past the 64 statement
    // texts kept, later ones fall back to binding every column per row).
    const variants = [
      { priority: 9 },
      { description: "d" },
      { currentPhase: "p" },
      { maxRetries: 0 },
      { tags: ["t"] },
      { dueDate: 77 },
      { workflow: { w: 1 } },
    ];
    for (let j = 0; j < 100; j++) {
      const inputs = Array.from({ length: 40 }, (_, i) => ({
        title: `b${j}-${i}`,
        taskType: "masks",
        ...Object.assign({}, ...variants.filter((_, b) => i === 1 && (j >> b) & 1)),
      }));
      const tasks = await createTasks(t.db, inputs);
      for (const [i, task] of tasks.entries()) {
        expect(await getTask(t.db, task.id)).toEqual(task);
        expect(task).toMatchObject({ ...inputs[i], description: inputs[i]!.description ?? null });
      }
    }
  });

  it("keeps order and meaning when plain tasks mix with ids, keys and dependencies", async () => {
    const before = await createTask(t.db, { title: "keyed earlier", taskType: "t", idempotencyKey: "k0" });
    const ids = created();
    const tasks = await createTasks(t.db, [
      { title: "plain 1", taskType: "t" },
      { title: "given id", taskType: "t", id: "ext-1" },
      { title: "plain 2", taskType: "t" },
      { title: "after ext-1", taskType: "t", dependsOn: ["ext-1"] },
      { title: "keyed earlier", taskType: "t", idempotencyKey: "k0" },
      { title: "keyed new", taskType: "t", idempotencyKey: "k1" },
      { title: "keyed new", taskType: "t", idempotencyKey: "k1" },
      { title: "plain 3", taskType: "t" },
    ]);
    expect(tasks.map((x) => x.title)).toEqual([
      "plain 1",
      "given id",
      "plain 2",
      "after ext-1",
      "keyed earlier",
      "keyed new",
      "keyed new",
      "plain 3",
    ]);
    expect(tasks[1]!.id).toBe("ext-1");
    expect(tasks[3]).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect(tasks[4]!.id).toBe(before.id);
    expect(tasks[6]!.id).toBe(tasks[5]!.id);
    // One event per task written, none for the keys that returned an existing task.
    expect(ids).toEqual([0, 1, 2, 3, 5, 7].map((i) => tasks[i]!.id));
    expect(await total()).toBe(7);
    for (const task of tasks) expect(await getTask(t.db, task.id)).toEqual(task);
  });

  it("writes nothing and publishes nothing when an item fails after plain ones were written", async () => {
    await createTask(t.db, { title: "taken", taskType: "t", id: "taken" });
    const ids = created();
    const plain = Array.from({ length: 450 }, (_, i) => ({ title: `p${i}`, taskType: "t" }));
    await expect(
      createTasks(t.db, [...plain, { title: "bad", taskType: "t", dependsOn: ["nope"] }, ...plain]),
    ).rejects.toBeInstanceOf(DependencyNotFoundError);
    await expect(
      createTasks(t.db, [...plain, { title: "dup", taskType: "t", id: "taken" }]),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
    await expect(createTasks(t.db, [...plain, { title: "", taskType: "t" }])).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(await total()).toBe(1);
    expect(ids).toEqual([]);
  });

  it("rolls back with the caller's transaction (a plain createTask in it too), publishing nothing", async () => {
    const ids = created();
    await expect(
      transaction(t.db, async (tx) => {
        await createTasks(tx, [
          { title: "a", taskType: "t" },
          { title: "b", taskType: "t" },
        ]);
        await createTask(tx, { title: "c", taskType: "t" });
        throw new Error("caller changed its mind");
      }),
    ).rejects.toThrow("caller changed its mind");
    expect(await total()).toBe(0);
    expect(ids).toEqual([]);
  });

  it("a plain createTask commits alone and publishes its event once", async () => {
    const ids = created();
    const a = await createTask(t.db, { title: "a", taskType: "t", payload: { n: 1 } });
    expect(await getTask(t.db, a.id)).toEqual(a);
    expect(ids).toEqual([a.id]);
    expect(await total()).toBe(1);
  });

  it("returns an empty list for an empty batch", async () => {
    expect(await createTasks(t.db, [])).toEqual([]);
  });
});

describe("reads", () => {
  it("a stored task whose JSON is not JSON is a typed error naming the task and column", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t", payload: { n: 1 } });
    await transaction(t.db, async (tx) => {
      await tx._tx.ex.run("UPDATE tasks SET payload = ? WHERE id = ?", ["{not json", a.id]);
    });
    const err = await getTask(t.db, a.id).catch((e) => e);
    expect(err).toBeInstanceOf(HiveError);
    expect(err.message).toMatch(new RegExp(`stored task "${a.id}" is malformed: payload`));
  });

  it("getTaskDependencies and hasClaimableTasks refuse bad arguments with a ValidationError", async () => {
    await expect(getTaskDependencies(t.db, "")).rejects.toBeInstanceOf(ValidationError);
    await expect(getTaskDependencies(t.db, 5 as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(hasClaimableTasks(t.db, "build" as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(hasClaimableTasks(t.db, [""])).rejects.toBeInstanceOf(ValidationError);
    await expect(hasClaimableTasks(t.db, undefined, "gpu" as never)).rejects.toBeInstanceOf(ValidationError);
  });

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

  it("requeueing a completed task makes its dependents that have not started wait for it again", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "a" });
    const b = await createTask(t.db, { title: "b", taskType: "b" });
    const c = await createTask(t.db, { title: "c", taskType: "c", dependsOn: [a.id, b.id] });
    const d = await createTask(t.db, { title: "d", taskType: "d", dependsOn: [a.id] });
    const runA = async () => {
      const [x] = await claimTasks(t.db, { workerId: "w1", taskTypes: ["a"] });
      await completeTask(t.db, { taskId: a.id, token: x!.token });
    };
    await runA();
    expect((await getTask(t.db, d.id))!.status).toBe("queued");
    await requeueTask(t.db, a.id);
    expect((await getTask(t.db, c.id))!).toMatchObject({ status: "blocked", pendingDependencies: 2 });
    expect((await getTask(t.db, d.id))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    await runA();
    // c still waits for b; d is released again.
    expect((await getTask(t.db, c.id))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect((await getTask(t.db, d.id))!.status).toBe("queued");
    expect(await claimTasks(t.db, { workerId: "w1", taskTypes: ["c"] })).toEqual([]);
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
  });

  it("refuses to requeue a task whose dependency is still dead, and revives only what can run", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const x = await createTask(t.db, { title: "x", taskType: "t" });
    const b = await createTask(t.db, { title: "b", taskType: "t", dependsOn: [a.id] });
    const c = await createTask(t.db, { title: "c", taskType: "t", dependsOn: [b.id, x.id] });
    const e = await createTask(t.db, { title: "e", taskType: "t", dependsOn: [c.id] });
    await cancelTask(t.db, a.id);
    await cancelTask(t.db, x.id);
    const err = await requeueTask(t.db, b.id).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidTransitionError);
    expect(err.message).toContain(a.id);
    expect((await getTask(t.db, b.id))!.status).toBe("upstream_failed");
    // a comes back: b with it; c (and e behind it) still wait on the cancelled x, so they stay.
    await requeueTask(t.db, a.id);
    expect((await getTask(t.db, b.id))!.status).toBe("blocked");
    expect((await getTask(t.db, c.id))!.status).toBe("upstream_failed");
    expect((await getTask(t.db, e.id))!.status).toBe("upstream_failed");
    await requeueTask(t.db, x.id);
    expect((await getTask(t.db, c.id))!).toMatchObject({ status: "blocked", pendingDependencies: 2 });
    expect((await getTask(t.db, e.id))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
  });

  it("revives a task created on a dead dependency when that dependency is requeued", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await cancelTask(t.db, a.id);
    const b = await createTask(t.db, { title: "b", taskType: "t", dependsOn: [a.id] });
    expect(b.status).toBe("upstream_failed");
    expect(b.lastError).toContain(a.id);
    expect(await getTask(t.db, b.id)).toEqual(b);
    await requeueTask(t.db, a.id);
    expect((await getTask(t.db, b.id))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
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
