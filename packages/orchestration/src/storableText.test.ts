import { TEXT_RULE } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { ValidationError } from "./errors.ts";
import { createExecutionPlan } from "./plans.ts";
import { getRuns } from "./runs.ts";
import { countTasksByStatus, createTask, createTasks, getTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker } from "./worker.ts";
import { registerWorker } from "./workers.ts";

const t = useTempDatabase();

/** What the call threw (it must throw). */
async function thrown(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("the call did not throw");
}

describe("text a column cannot store (NUL, unpaired surrogates)", () => {
  it("is refused at the boundary with a ValidationError naming the field, and writes nothing", async () => {
    const cases = [
      () => createTask(t.db, { title: "skill", taskType: "t", requiredSkills: ["a\u0000"] }),
      () => createTask(t.db, { title: "skill", taskType: "t", requiredSkills: ["\ud800"] }),
      () => createTask(t.db, { title: "x\u0000", taskType: "t" }),
      () => createTask(t.db, { title: "x", taskType: "t", idempotencyKey: "\udc00" }),
      () =>
        createTasks(t.db, [
          { title: "ok", taskType: "t" },
          { title: "ok", taskType: "t\u0000" },
        ]),
      () => registerWorker(t.db, { workerId: "w\u0000", role: "r" }),
      () => registerWorker(t.db, { workerId: "w2", role: "r", capabilities: ["\ud800"] }),
    ];
    for (const call of cases) {
      const err = await thrown(call());
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain(TEXT_RULE);
    }
    expect(Object.values(await countTasksByStatus(t.db)).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("does not stop claims: the other tasks are still handed out (one such skill once failed every PostgreSQL claim)", async () => {
    await makeWorker(t.db, "w1", ["gpu"]);
    await thrown(createTask(t.db, { title: "poison", taskType: "t", requiredSkills: ["gpu\u0000"] }));
    const ok = await createTask(t.db, { title: "fine", taskType: "t", requiredSkills: ["gpu"] });
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 10, capabilities: ["gpu"] });
    expect(claimed.map((c) => c.task.id)).toEqual([ok.id]);
  });

  it("as a lookup key is a ValidationError, not a driver error", async () => {
    expect(await thrown(getTask(t.db, "id\u0000"))).toBeInstanceOf(ValidationError);
    expect(await thrown(getRuns(t.db, "\ud800"))).toBeInstanceOf(ValidationError);
  });

  it("in plan data, anywhere, is refused before the plan is written", async () => {
    const err = await thrown(
      createExecutionPlan(t.db, {
        planningTaskId: "req",
        planData: { sub_tasks: [{ id: "a", title: "A", payload: { note: "x\u0000" } }] },
      }),
    );
    expect(err.message).toContain("sub_tasks.0.payload.note");
  });

  it("is stored, and read back, as given inside a payload and a result (JSON text)", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "bytes", taskType: "t", payload: { raw: "\u0000\ud800" } });
    expect((await getTask(t.db, task.id))!.payload).toEqual({ raw: "\u0000\ud800" });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: task.id, token: c!.token, result: { out: "\u0000" } });
    expect((await getTask(t.db, task.id))!.result).toEqual({ out: "\u0000" });
  });

  it("from a handler (its error message, its log lines) is stored with U+FFFD instead, and the outcome is kept", async () => {
    const [bad, logged] = await createTasks(t.db, [
      { title: "throws", taskType: "t", maxRetries: 0 },
      { title: "logs", taskType: "t" },
    ]);
    const w = await new Worker({
      db: t.db,
      role: "r",
      leaseMs: 2000,
      pollMaxMs: 50,
      reaperIntervalMs: 0,
      handler: ({ task, log }) => {
        if (task.id === bad!.id) throw new Error("boom\u0000 \ud800");
        log("line\u0000one");
        return { ok: true };
      },
    }).start();
    try {
      await waitUntil(
        async () => {
          const c = await countTasksByStatus(t.db);
          return c.failed === 1 && c.completed === 1;
        },
        "both outcomes recorded",
        10_000,
      );
    } finally {
      await w.stop();
    }
    expect((await getTask(t.db, bad!.id))!.lastError).toBe("boom\ufffd \ufffd");
    const [run] = await getRuns(t.db, logged!.id);
    expect(run!.outputLog).toBe("line\ufffdone");
  });
});
