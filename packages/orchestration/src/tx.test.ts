import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { DependencyNotFoundError, HiveError } from "./errors.ts";
import type { Transaction } from "./handle.ts";
import { countTasksByStatus, createTask, getTask, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { leavesWork, transaction } from "./tx.ts";

const t = useTempDatabase();

describe("transactions and events", () => {
  it("commits several operations together", async () => {
    await transaction(t.db, async (tx) => {
      const a = await createTask(tx, { title: "a", taskType: "t" });
      await createTask(tx, { title: "b", taskType: "t", dependsOn: [a.id] });
    });
    expect(await countTasksByStatus(t.db)).toMatchObject({ queued: 1, blocked: 1 });
  });

  it("refuses a transaction handle used after its transaction ended, and writes nothing", async () => {
    let leaked: Transaction | undefined;
    await transaction(t.db, async (tx) => {
      leaked = tx;
    });
    await expect(createTask(leaked!, { title: "late", taskType: "t" })).rejects.toThrow(
      /transaction has ended/,
    );
    await expect(countTasksByStatus(leaked!)).rejects.toBeInstanceOf(HiveError);
    expect((await countTasksByStatus(t.db)).queued).toBe(0);
  });

  it("undoes only the failing operation's writes when the caller catches its error", async () => {
    await transaction(t.db, async (tx) => {
      await createTask(tx, { title: "kept", taskType: "t" });
      await createTask(tx, { title: "bad", taskType: "t", dependsOn: ["missing"] }).catch((e) => {
        expect(e).toBeInstanceOf(DependencyNotFoundError);
      });
    });
    expect((await countTasksByStatus(t.db)).queued).toBe(1);
  });

  it("runs operations called side by side on one transaction one at a time, losing none", async () => {
    // Promise.all over one tx interleaved the operations' savepoints: "no such savepoint", and
    // a failing one's rollback undid a sibling that had been reported created.
    const settled = await transaction(t.db, (tx) =>
      Promise.allSettled([
        createTask(tx, { title: "a", taskType: "t", idempotencyKey: "a" }),
        createTask(tx, { title: "bad", taskType: "t", dependsOn: ["missing"] }),
        createTask(tx, { title: "b", taskType: "t", idempotencyKey: "b" }),
        transaction(tx, async (inner) => {
          const c = await createTask(inner, { title: "c", taskType: "t" });
          // The caller's own tx, called from inside the nested transaction: runs at once.
          await createTask(tx, { title: "d", taskType: "t", dependsOn: [c.id] });
        }),
      ]),
    );
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(DependencyNotFoundError);
    const titles = (await listTasks(t.db)).map((x) => x.title).sort();
    expect(titles).toEqual(["a", "b", "c", "d"]);
    for (const s of [settled[0], settled[2]])
      if (s?.status === "fulfilled" && s.value) expect(await getTask(t.db, s.value.id)).toEqual(s.value);
  });

  it("publishes events only after commit, and none for a rollback", async () => {
    const seen: HiveEvent[] = [];
    const off = t.db.events.on("*", (e) => seen.push(e));
    await transaction(t.db, async (tx) => {
      await createTask(tx, { title: "a", taskType: "t" });
      expect(seen).toEqual([]);
    });
    expect(seen.map((e) => e.type)).toEqual(["task.created"]);
    await transaction(t.db, async (tx) => {
      await createTask(tx, { title: "b", taskType: "t" });
      throw new Error("no");
    }).catch(() => {});
    expect(seen).toHaveLength(1);
    off();
  });

  it("resolves once() for the next matching event", async () => {
    const next = t.db.events.once("task.created", (e) => e.taskType === "wanted");
    await createTask(t.db, { title: "x", taskType: "other" });
    const task = await createTask(t.db, { title: "y", taskType: "wanted" });
    expect((await next).taskId).toBe(task.id);
  });

  it("keeps a listener's exception away from the publisher", async () => {
    const errors: unknown[] = [];
    t.db.events.onListenerError((err) => errors.push(err));
    t.db.events.on("task.created", () => {
      throw new Error("listener bug");
    });
    await expect(createTask(t.db, { title: "a", taskType: "t" })).resolves.toBeTruthy();
    expect(errors).toHaveLength(1);
  });

  it("wakes other workers only for work the transaction left claimable", () => {
    const created = (taskId: string): HiveEvent => ({
      type: "task.created",
      taskId,
      taskType: "t",
      planId: null,
    });
    const queued = (taskId: string): HiveEvent => ({ type: "task.queued", taskId });
    const claimed = (taskId: string): HiveEvent => ({
      type: "task.claimed",
      taskId,
      workerId: "w",
      token: 1,
      attempt: 1,
    });
    const completed: HiveEvent = { type: "task.completed", taskId: "a", planId: null };
    expect(leavesWork([])).toBe(false);
    expect(leavesWork([completed])).toBe(false);
    expect(leavesWork([created("a")])).toBe(true);
    // A group commit that released the next node of a chain and claimed it: nothing for others.
    expect(leavesWork([completed, queued("b"), claimed("b")])).toBe(false);
    expect(leavesWork([completed, queued("b"), queued("c"), claimed("b")])).toBe(true);
    // Claimed, then handed back in the same transaction: claimable again.
    expect(leavesWork([claimed("b"), queued("b")])).toBe(true);
    expect(leavesWork([{ type: "plan.started", planId: "p" } as HiveEvent])).toBe(true);
  });
});
