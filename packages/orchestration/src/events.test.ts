import { type HiveEvent, HiveEventSchema } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask, failTask } from "./claims.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { cancelTask, createTask } from "./tasks.ts";
import { makeWorker, sleep, startedPlan, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

function record(): HiveEvent[] {
  const seen: HiveEvent[] = [];
  t.db.events.on("*", (e) => seen.push(HiveEventSchema.parse(e)));
  return seen;
}

describe("the event bus", () => {
  it("tells a task's life: created, claimed, retried, claimed again, completed", async () => {
    const w = await makeWorker(t.db);
    const seen = record();
    const task = await createTask(t.db, { title: "x", taskType: "t", maxRetries: 1 });
    const [c1] = await claimTasks(t.db, { workerId: w });
    await failTask(
      t.db,
      { taskId: task.id, token: c1!.token, error: "flaky" },
      { backoff: { baseDelayMs: 0 } },
    );
    const [c2] = await claimTasks(t.db, { workerId: w });
    await completeTask(t.db, { taskId: task.id, token: c2!.token, result: 1 });
    expect(seen.map((e) => e.type)).toEqual([
      "task.created",
      "task.claimed",
      "task.retried",
      "task.claimed",
      "task.completed",
    ]);
    expect(seen[1]).toMatchObject({ taskId: task.id, workerId: w, attempt: 1, token: c1!.token });
    expect(seen[2]).toMatchObject({ taskId: task.id, attempt: 1, error: "flaky" });
  });

  it("reports a failure for good, a cancellation and its blocked dependents, and a lost lease", async () => {
    const w = await makeWorker(t.db);
    const doomed = await createTask(t.db, { title: "doomed", taskType: "t", maxRetries: 0 });
    const parent = await createTask(t.db, { title: "parent", taskType: "other" });
    const child = await createTask(t.db, { title: "child", taskType: "t", dependsOn: [parent.id] });
    const seen = record();
    const [c] = await claimTasks(t.db, { workerId: w, taskTypes: ["t"] });
    await failTask(t.db, { taskId: doomed.id, token: c!.token, error: "no" });
    await cancelTask(t.db, parent.id);
    const lost = await createTask(t.db, { title: "lost", taskType: "t" });
    await claimTasks(t.db, { workerId: w, leaseMs: 100 });
    await sleep(150);
    await reapExpiredLeases(t.db);
    const types = seen.map((e) => `${e.type}:${"taskId" in e ? e.taskId : ""}`);
    expect(types).toContain(`task.failed:${doomed.id}`);
    expect(types).toContain(`task.cancelled:${parent.id}`);
    expect(types).toContain(`task.upstream_failed:${child.id}`);
    expect(types).toContain(`task.lease_expired:${lost.id}`);
  });

  it("tells a plan's life: request submitted, plan created and started, then completed", async () => {
    const w = await makeWorker(t.db);
    const seen = record();
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "only", title: "Only" }] });
    const [c] = await claimTasks(t.db, { workerId: w });
    await completeTask(t.db, { taskId: c!.task.id, token: c!.token });
    const types = seen.map((e) => e.type);
    for (const type of [
      "planning.submitted",
      "plan.created",
      "plan.started",
      "planning.completed",
      "plan.completed",
    ] as const)
      expect(types).toContain(type);
    expect(types.indexOf("plan.completed")).toBeGreaterThan(types.indexOf("task.completed"));
    expect(seen.find((e) => e.type === "plan.completed")).toEqual({
      type: "plan.completed",
      planId: plan.id,
    });
  });
});
