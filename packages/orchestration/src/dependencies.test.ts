import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { DependencyNotFoundError } from "./errors.ts";
import { checkDatabase } from "./integrity.ts";
import { createTask, deleteTask, getTask, listTasks } from "./tasks.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { transaction, withRead, withTx } from "./tx.ts";

const t = useTempDatabase();

/** Every edge as "task <- dependency", sorted (ids made in the same ms are not ordered). */
const edges = async () =>
  (
    await withRead(t.db, (ex) =>
      ex.all<{ task_id: string; depends_on_id: string }>(
        "SELECT task_id, depends_on_id FROM task_dependencies",
      ),
    )
  )
    .map((e) => `${e.task_id} <- ${e.depends_on_id}`)
    .sort();

// Edges carry no foreign keys (a plan's edges paid two parent checks each); these prove the
// trigger that replaced the cascades, the checks createTask makes instead, and that
// checkDatabase still sees a dangling edge.
describe("dependency edges", () => {
  it("go with either of their tasks, whether deleteTask or a plain DELETE of several removes it", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    const b = await createTask(t.db, { title: "b", taskType: "t", dependsOn: [a.id] });
    const c = await createTask(t.db, { title: "c", taskType: "t", dependsOn: [a.id, b.id] });
    const d = await createTask(t.db, { title: "d", taskType: "t", dependsOn: [c.id] });
    expect(await edges()).toHaveLength(4);
    expect(await deleteTask(t.db, a.id)).toBe(true);
    expect(await edges()).toEqual([`${c.id} <- ${b.id}`, `${d.id} <- ${c.id}`].sort());
    // b waited only on a: released by the delete.
    expect((await getTask(t.db, b.id))!.status).toBe("queued");
    await withTx(t.db, (tx) => tx.ex.run("DELETE FROM tasks WHERE id IN (?, ?)", [b.id, d.id]));
    expect(await edges()).toEqual([]);
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 0 });
  });

  it("go with the tasks of a deleted plan (the plan's cascade deletes its tasks)", async () => {
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "x", title: "X" },
        { id: "y", title: "Y", dependencies: ["x"] },
      ],
    });
    const outside = await createTask(t.db, { title: "outside", taskType: "t" });
    const after = await createTask(t.db, { title: "after", taskType: "t", dependsOn: [outside.id] });
    expect(await edges()).toHaveLength(2);
    await withTx(t.db, async (tx) => {
      await tx.ex.run("DELETE FROM plan_execution WHERE plan_id = ?", [plan.id]);
      await tx.ex.run("DELETE FROM execution_plans WHERE id = ?", [plan.id]);
    });
    expect((await listTasks(t.db)).map((x) => x.id).sort()).toEqual([outside.id, after.id].sort());
    expect(await edges()).toEqual([`${after.id} <- ${outside.id}`]);
  });

  it("are never written to a missing task: createTask refuses it and writes nothing", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await expect(
      createTask(t.db, { title: "b", taskType: "t", dependsOn: [a.id, "missing"] }),
    ).rejects.toBeInstanceOf(DependencyNotFoundError);
    expect(await edges()).toEqual([]);
    expect((await listTasks(t.db)).map((x) => x.id)).toEqual([a.id]);
  });

  it("name a dependency deleted in the same transaction as never there: createTask refuses it", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await expect(
      transaction(t.db, async (tx) => {
        await deleteTask(tx, a.id);
        await createTask(tx, { title: "b", taskType: "t", dependsOn: [a.id] });
      }),
    ).rejects.toBeInstanceOf(DependencyNotFoundError);
    expect(await getTask(t.db, a.id)).not.toBeNull();
  });

  it("are released from a task deleted and created again under its id in the same transaction", async () => {
    const w = await makeWorker(t.db);
    const again = await transaction(t.db, async (tx) => {
      const first = await createTask(tx, { id: "x", title: "x", taskType: "t" });
      await createTask(tx, { title: "on the first x", taskType: "t", dependsOn: [first.id] });
      await deleteTask(tx, first.id);
      await createTask(tx, { id: "x", title: "x again", taskType: "t" });
      return createTask(tx, { title: "on x again", taskType: "dependent", dependsOn: ["x"] });
    });
    const claimed = await claimTasks(t.db, { workerId: w, taskTypes: ["t"], limit: 10 });
    const x = claimed.find((c) => c.task.id === "x")!;
    await completeTask(t.db, { taskId: "x", token: x.token });
    expect((await getTask(t.db, again.id))!.status).toBe("queued");
    expect(await checkDatabase(t.db)).toMatchObject({
      dependencyCounterMismatches: 0,
      foreignKeyViolations: 0,
    });
  });

  it("are reported by checkDatabase when one names a task that does not exist", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "t" });
    await withTx(t.db, (tx) =>
      tx.ex.run("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES (?, ?), (?, ?)", [
        a.id,
        "gone",
        "gone-too",
        a.id,
      ]),
    );
    expect(await checkDatabase(t.db)).toMatchObject({ foreignKeyViolations: 2 });
  });
});
