import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { getExecutionPlanStatus, subtaskTaskId } from "./plans.ts";
import { getTask, requeueTask } from "./tasks.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

/** Claims the next task in claim order, checks it is `subtaskId`, and completes or fails it for good. */
async function run(subtaskId: string, outcome: "complete" | "fail"): Promise<void> {
  const [c] = await claimTasks(t.db, { workerId: "w1", limit: 1 });
  expect(c!.task.subtaskId).toBe(subtaskId);
  if (outcome === "complete") await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
  else await failTask(t.db, { taskId: c!.task.id, token: c!.token, error: "broken", retryable: false });
}

describe("a task failing for good after a requeue", () => {
  it("spares the tasks downstream of a dependent that already completed", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A", priority: 9 },
        { id: "b", title: "B", dependencies: ["a"] },
        { id: "c", title: "C", dependencies: ["b"] },
      ],
    });
    const id = (s: string) => subtaskTaskId(plan.id, s);
    await run("a", "complete");
    await run("b", "complete");
    await requeueTask(t.db, id("a"));
    await run("a", "fail");
    expect((await getTask(t.db, id("b")))!.status).toBe("completed");
    // c waits on b only, which completed: the failure of a is not its concern.
    expect((await getTask(t.db, id("c")))!.status).toBe("queued");
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("failed");
    await run("c", "complete");
    expect(await checkDatabase(t.db)).toMatchObject({
      dependencyCounterMismatches: 0,
      planCounterMismatches: 0,
    });
  });

  it("spares a blocked task that waits on the failed one only through a completed task", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A", priority: 9 },
        { id: "b", title: "B", dependencies: ["a"], priority: 8 },
        { id: "d", title: "D", priority: 1 },
        { id: "c", title: "C", dependencies: ["b", "d"] },
      ],
    });
    const id = (s: string) => subtaskTaskId(plan.id, s);
    // One at a time in priority order: d (lowest) stays queued, so c stays blocked on it.
    await run("a", "complete");
    await run("b", "complete");
    await requeueTask(t.db, id("a"));
    await run("a", "fail");
    // c still waits for d, not for a (its path to a runs through b, which completed).
    expect((await getTask(t.db, id("c")))!.status).toBe("blocked");
    expect((await getTask(t.db, id("d")))!.status).toBe("queued");
    await run("d", "complete");
    expect((await getTask(t.db, id("c")))!.status).toBe("queued");
    expect(await checkDatabase(t.db)).toMatchObject({
      dependencyCounterMismatches: 0,
      planCounterMismatches: 0,
    });
  });

  it("still fails what waits on it through unfinished tasks", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, {
      sub_tasks: [
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
        { id: "c", title: "C", dependencies: ["b"] },
      ],
    });
    const id = (s: string) => subtaskTaskId(plan.id, s);
    await run("a", "fail");
    expect((await getTask(t.db, id("b")))!.status).toBe("upstream_failed");
    expect((await getTask(t.db, id("c")))!.status).toBe("upstream_failed");
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("failed");
  });
});
