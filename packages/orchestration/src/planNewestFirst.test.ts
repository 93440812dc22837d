import { describe, expect, it } from "vitest";
import { listPlanningRequests, submitPlanningRequest } from "./planning.ts";
import { createExecutionPlan, getExecutionPlanForRequest, listExecutionPlans } from "./plans.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();
// Made back to back, many share a millisecond.
const N = 40;

describe("newest first, among things made in the same millisecond", () => {
  it("getExecutionPlanForRequest returns the plan made last, and listExecutionPlans lists them newest first", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    const ids: string[] = [];
    const latest: string[] = [];
    for (let i = 0; i < N; i++) {
      const plan = await createExecutionPlan(t.db, {
        planningTaskId: request.id,
        planData: { sub_tasks: [{ id: "a", title: `try ${i}` }] },
      });
      ids.push(plan.id);
      latest.push((await getExecutionPlanForRequest(t.db, request.id))!.id);
    }
    expect(latest).toEqual(ids);
    expect((await listExecutionPlans(t.db)).map((p) => p.id)).toEqual([...ids].reverse());
    expect((await listExecutionPlans(t.db, { status: "draft" })).map((p) => p.id)).toEqual(
      [...ids].reverse(),
    );
  });

  it("listPlanningRequests lists them newest first", async () => {
    const ids: string[] = [];
    for (let i = 0; i < N; i++)
      ids.push((await submitPlanningRequest(t.db, { taskDescription: `x${i}` })).id);
    expect((await listPlanningRequests(t.db)).map((r) => r.id)).toEqual([...ids].reverse());
    expect((await listPlanningRequests(t.db, { status: "pending" })).map((r) => r.id)).toEqual(
      [...ids].reverse(),
    );
  });
});
