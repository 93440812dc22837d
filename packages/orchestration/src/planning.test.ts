import { describe, expect, it } from "vitest";
import { InvalidTransitionError, PlanValidationError, ValidationError } from "./errors.ts";
import {
  claimPlanningRequests,
  completePlanningRequest,
  failPlanningRequest,
  getPlanningRequest,
  listPlanningRequests,
  releasePlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { createExecutionPlan, listExecutionPlans } from "./plans.ts";
import { countTasksByStatus } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("planning queue", () => {
  it("validates submissions and writes nothing on bad input", async () => {
    await expect(submitPlanningRequest(t.db, { taskDescription: "   " })).rejects.toThrow(
      /taskDescription: must not be empty/,
    );
    await expect(
      submitPlanningRequest(t.db, { taskDescription: "x", contextData: [1, 2] as never }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      submitPlanningRequest(t.db, { taskDescription: "x", contextData: { blob: "y".repeat(300_000) } }),
    ).rejects.toThrow(/contextData/);
    expect(await listPlanningRequests(t.db)).toEqual([]);
  });

  it("refuses a second request or plan with a caller-given id already used, with a typed error, and keeps the first", async () => {
    const first = await submitPlanningRequest(t.db, { id: "r1", taskDescription: "first" });
    await expect(submitPlanningRequest(t.db, { id: "r1", taskDescription: "second" })).rejects.toThrow(
      InvalidTransitionError,
    );
    expect(await getPlanningRequest(t.db, "r1")).toEqual(first);
    const planData = { sub_tasks: [{ id: "a", title: "A" }] };
    await createExecutionPlan(t.db, { id: "p1", planningTaskId: "r1", planData });
    await expect(createExecutionPlan(t.db, { id: "p1", planningTaskId: "r1", planData })).rejects.toThrow(
      InvalidTransitionError,
    );
    expect((await listExecutionPlans(t.db)).map((p) => p.id)).toEqual(["p1"]);
  });

  it("never gives one request to two planners", async () => {
    for (let i = 0; i < 20; i++) await submitPlanningRequest(t.db, { taskDescription: `r${i}` });
    const [a, b] = await Promise.all([
      claimPlanningRequests(t.db, { agentId: "p1", limit: 15 }),
      claimPlanningRequests(t.db, { agentId: "p2", limit: 15 }),
    ]);
    const ids = [...a!, ...b!].map((r) => r.id);
    expect(new Set(ids).size).toBe(20);
    expect(a!.every((r) => r.assignedAgent === "p1" && r.assignedAt !== null)).toBe(true);
  });

  it("takes back a request whose planner went silent", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "x" });
    await claimPlanningRequests(t.db, { agentId: "dead" });
    expect(await claimPlanningRequests(t.db, { agentId: "alive", staleAfterMs: 100 })).toHaveLength(0);
    await sleep(150);
    const [again] = await claimPlanningRequests(t.db, { agentId: "alive", staleAfterMs: 100 });
    expect(again).toMatchObject({ id: r.id, assignedAgent: "alive", attempts: 2 });
    await expect(
      failPlanningRequest(t.db, { requestId: r.id, agentId: "dead", error: "late" }),
    ).rejects.toBeInstanceOf(InvalidTransitionError);
  });

  it("stores all of a plan or nothing", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "x" });
    await claimPlanningRequests(t.db, { agentId: "p" });
    await expect(
      completePlanningRequest(t.db, {
        requestId: r.id,
        agentId: "p",
        planData: { sub_tasks: [{ id: "a", title: "A", dependencies: ["a"] }] },
      }),
    ).rejects.toBeInstanceOf(PlanValidationError);
    expect(Object.values(await countTasksByStatus(t.db)).every((n) => n === 0)).toBe(true);
    expect((await getPlanningRequest(t.db, r.id))!.status).toBe("assigned");
    const { plan, subtaskCount } = await completePlanningRequest(t.db, {
      requestId: r.id,
      agentId: "p",
      planData: { sub_tasks: [{ id: "a", title: "A" }] },
    });
    expect([plan.status, subtaskCount]).toEqual(["executing", 1]);
    expect((await getPlanningRequest(t.db, r.id))!.status).toBe("completed");
  });

  it("records the reason of a failed request, and can give a request back", async () => {
    const r1 = await submitPlanningRequest(t.db, { taskDescription: "x" });
    const r2 = await submitPlanningRequest(t.db, { taskDescription: "y" });
    await claimPlanningRequests(t.db, { agentId: "p", limit: 2 });
    const failed = await failPlanningRequest(t.db, {
      requestId: r1.id,
      agentId: "p",
      error: "cycle: a -> a",
    });
    expect(failed).toMatchObject({ status: "failed", errorMessage: "cycle: a -> a" });
    expect((await releasePlanningRequest(t.db, { requestId: r2.id, agentId: "p" })).status).toBe("pending");
  });
});
