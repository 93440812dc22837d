import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { submitPlanningRequest } from "./planning.ts";
import { cancelPlan, createExecutionPlan, createPlannedSubtasksFromPlan, subtaskTaskId } from "./plans.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { withTx } from "./tx.ts";

const t = useTempDatabase();

const plan = (ids: string[]) => ({ sub_tasks: ids.map((id, i) => ({ id, title: id, priority: 10 - i })) });

/** Writes around the library, as a bug or a hand edit would. */
const corrupt = (sql: string, params: (string | number)[]) => withTx(t.db, (tx) => tx.ex.run(sql, params));

const mismatches = async () => (await checkDatabase(t.db)).planCounterMismatches;

describe("checkDatabase on plans", () => {
  it("finds nothing wrong with plans in every state the library leaves them in", async () => {
    await makeWorker(t.db);
    // executing (one task done), completed, failed, cancelled, draft with its tasks.
    const executing = await startedPlan(t.db, plan(["a", "b", "c"]));
    await startedPlan(t.db, plan(["a"])); // completed below
    const failed = await startedPlan(t.db, plan(["a", "b"]));
    const cancelled = await startedPlan(t.db, plan(["a", "b"]));
    await cancelPlan(t.db, cancelled.id);
    const request = await submitPlanningRequest(t.db, { taskDescription: "later" });
    const draft = await createExecutionPlan(t.db, { planningTaskId: request.id, planData: plan(["a"]) });
    await createPlannedSubtasksFromPlan(t.db, draft.id);
    for (const c of await claimTasks(t.db, { workerId: "w1", limit: 100 })) {
      if (c.task.id === subtaskTaskId(failed.id, "a"))
        await failTask(t.db, { taskId: c.task.id, token: c.token, error: "x", retryable: false });
      else if (c.task.planId === executing.id && c.task.subtaskId !== "a") continue;
      else await completeTask(t.db, { taskId: c.task.id, token: c.token });
    }
    expect(await mismatches()).toBe(0);
  });

  it("reports blocked_subtasks, progress_percent and a plan status that disagree with the tasks", async () => {
    await makeWorker(t.db);
    const p = await startedPlan(t.db, plan(["a", "b", "c"]));
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
    expect(await mismatches()).toBe(0);

    await corrupt("UPDATE plan_execution SET blocked_subtasks = 2 WHERE plan_id = ?", [p.id]);
    expect(await mismatches()).toBe(1);
    await corrupt("UPDATE plan_execution SET blocked_subtasks = 0, progress_percent = 90 WHERE plan_id = ?", [
      p.id,
    ]);
    expect(await mismatches()).toBe(1);
    await corrupt("UPDATE plan_execution SET progress_percent = 33 WHERE plan_id = ?", [p.id]);
    expect(await mismatches()).toBe(0);

    // One task of three completed: neither completed nor failed.
    for (const status of ["completed", "failed"]) {
      await corrupt("UPDATE execution_plans SET status = ? WHERE id = ?", [status, p.id]);
      expect(await mismatches()).toBe(1);
    }
    await corrupt("UPDATE execution_plans SET status = 'executing' WHERE id = ?", [p.id]);
    // A task failed for good: executing is wrong now (as is completed).
    await corrupt("UPDATE tasks SET status = 'failed' WHERE id = ?", [subtaskTaskId(p.id, "b")]);
    await corrupt("UPDATE plan_execution SET failed_subtasks = 1 WHERE plan_id = ?", [p.id]);
    expect(await mismatches()).toBe(1);
    // Reported, never fixed.
    expect(await mismatches()).toBe(1);
  });
});
