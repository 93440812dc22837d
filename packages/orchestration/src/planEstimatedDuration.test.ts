import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import {
  claimPlanningRequests,
  completePlanningRequest,
  getPlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { createExecutionPlan, listExecutionPlans } from "./plans.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();
const planData = { sub_tasks: [{ id: "a", title: "A" }] };

describe("a plan's estimatedDuration", () => {
  it("is refused above the column's range by createExecutionPlan, naming the field, writing nothing", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    const err = await createExecutionPlan(t.db, {
      planningTaskId: request.id,
      planData,
      estimatedDuration: 3_000_000_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/estimatedDuration/);
    expect(await listExecutionPlans(t.db)).toEqual([]);
  });

  it("is refused above the column's range by completePlanningRequest, leaving the request assigned", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    await claimPlanningRequests(t.db, { agentId: "planner" });
    const err = await completePlanningRequest(t.db, {
      requestId: request.id,
      agentId: "planner",
      planData,
      estimatedDuration: 1e20,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(/estimatedDuration/);
    expect(await listExecutionPlans(t.db)).toEqual([]);
    expect((await getPlanningRequest(t.db, request.id))!.status).toBe("assigned");
  });

  it("is stored at the top of the range on both backends", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    const plan = await createExecutionPlan(t.db, {
      planningTaskId: request.id,
      planData,
      estimatedDuration: 2_147_483_647,
    });
    expect(plan.estimatedDuration).toBe(2_147_483_647);
    expect((await listExecutionPlans(t.db))[0]!.estimatedDuration).toBe(2_147_483_647);
  });
});
