import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { getRuns } from "./runs.ts";
import { createTask, deleteTask, listTasks } from "./tasks.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { withRead, withTx } from "./tx.ts";
import { unregisterWorker } from "./workers.ts";

const t = useTempDatabase();

const runCount = () =>
  withRead(t.db, async (ex) => Number((await ex.get<{ n: number }>("SELECT count(*) AS n FROM runs"))!.n));

/** A task claimed and completed by `worker`: one run row. */
async function finishedTask(worker: string, title: string): Promise<string> {
  const task = await createTask(t.db, { title, taskType: "t" });
  const [c] = await claimTasks(t.db, { workerId: worker });
  await completeTask(t.db, { taskId: task.id, token: c!.token });
  return task.id;
}

// Runs carry no foreign keys (a claim would pay a parent check per run); these prove the
// triggers that replaced the cascades, and that checkDatabase still sees a dangling run.
describe("run rows follow deletes", () => {
  it("go with their task, whether deleteTask or a plain DELETE of several removes it", async () => {
    const w = await makeWorker(t.db);
    const a = await finishedTask(w, "a");
    const b = await finishedTask(w, "b");
    const c = await finishedTask(w, "c");
    expect(await runCount()).toBe(3);
    expect(await deleteTask(t.db, a)).toBe(true);
    expect(await getRuns(t.db, a)).toEqual([]);
    expect(await runCount()).toBe(2);
    await withTx(t.db, (tx) => tx.ex.run("DELETE FROM tasks WHERE id IN (?, ?)", [b, c]));
    expect(await runCount()).toBe(0);
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 0 });
  });

  it("go with the tasks of a deleted plan (the plan's cascade deletes its tasks)", async () => {
    const w = await makeWorker(t.db);
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "x", title: "X" }] });
    const [c] = await claimTasks(t.db, { workerId: w });
    expect(c!.task.planId).toBe(plan.id);
    const kept = await finishedTask(w, "outside the plan");
    expect(await runCount()).toBe(2);
    await withTx(t.db, async (tx) => {
      await tx.ex.run("DELETE FROM plan_execution WHERE plan_id = ?", [plan.id]);
      await tx.ex.run("DELETE FROM execution_plans WHERE id = ?", [plan.id]);
    });
    expect((await listTasks(t.db)).map((x) => x.id)).toEqual([kept]);
    expect(await runCount()).toBe(1);
    expect(await getRuns(t.db, kept)).toHaveLength(1);
  });

  it("keep their history when their worker is unregistered, with no worker named", async () => {
    const w = await makeWorker(t.db, "w1");
    const other = await makeWorker(t.db, "w2");
    const a = await finishedTask(w, "a");
    const b = await finishedTask(other, "b");
    expect(await unregisterWorker(t.db, w)).toBe(true);
    expect((await getRuns(t.db, a))[0]!.workerId).toBeNull();
    expect((await getRuns(t.db, b))[0]!.workerId).toBe(other);
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 0 });
  });

  it("are reported by checkDatabase when one names a task or a worker that does not exist", async () => {
    const w = await makeWorker(t.db);
    await finishedTask(w, "a");
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 0 });
    await withTx(t.db, async (tx) => {
      await tx.ex.run(
        "INSERT INTO runs (id, task_id, worker_id, run_number, status, started_at) VALUES (?, ?, NULL, 1, 'running', 0)",
        ["r-orphan", "no-such-task"],
      );
      await tx.ex.run("UPDATE runs SET worker_id = ? WHERE id <> ?", ["no-such-worker", "r-orphan"]);
    });
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 2 });
  });
});
