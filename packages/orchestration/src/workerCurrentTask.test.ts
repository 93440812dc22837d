import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks } from "./claims.ts";
import { TaskNotFoundError } from "./errors.ts";
import { cancelPlan, subtaskTaskId } from "./plans.ts";
import { makeWorker, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { getWorker, updateWorkerHeartbeat } from "./workers.ts";

const t = useTempDatabase();

describe("cancelPlan", () => {
  it("clears the current task of the worker running one of its tasks, and announces plan.cancelled", async () => {
    await makeWorker(t.db);
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "a", title: "A" }] });
    const [claimed] = await claimTasks(t.db, { workerId: "w1" });
    expect(claimed!.task.id).toBe(subtaskTaskId(plan.id, "a"));
    expect((await getWorker(t.db, "w1"))!.currentTaskId).toBe(claimed!.task.id);
    const seen: HiveEvent[] = [];
    t.db.events.on("*", (e) => seen.push(e));
    await cancelPlan(t.db, plan.id, "not needed");
    expect((await getWorker(t.db, "w1"))!.currentTaskId).toBeNull();
    expect(seen).toContainEqual({ type: "plan.cancelled", planId: plan.id, reason: "not needed" });
  });
});

describe("updateWorkerHeartbeat naming a current task that does not exist", () => {
  it("throws TaskNotFoundError and changes nothing (it was the driver's foreign-key error)", async () => {
    await makeWorker(t.db);
    await expect(
      updateWorkerHeartbeat(t.db, { workerId: "w1", currentTaskId: "missing" }),
    ).rejects.toBeInstanceOf(TaskNotFoundError);
    expect((await getWorker(t.db, "w1"))!.currentTaskId).toBeNull();
  });
});
