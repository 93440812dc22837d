import { describe, expect, it } from "vitest";
import {
  claimPlanningRequests,
  failPlanningRequest,
  getPlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { cancelPlan, createExecutionPlan, getExecutionPlan } from "./plans.ts";
import { purgeFinished } from "./retention.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("purging a plan whose tasks were never created", () => {
  it("removes it once cancelled and old enough, and then the failed request it came from", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "do it" });
    await claimPlanningRequests(t.db, { agentId: "planner" });
    await failPlanningRequest(t.db, { requestId: request.id, agentId: "planner", error: "gave up" });
    const planData = { sub_tasks: [{ id: "a", title: "A" }] };
    const cancelled = await createExecutionPlan(t.db, { planningTaskId: request.id, planData });
    await cancelPlan(t.db, cancelled.id);
    const draft = await createExecutionPlan(t.db, { planningTaskId: request.id, planData });
    await sleep(5);

    expect(await purgeFinished(t.db, { olderThanMs: 60_000 })).toMatchObject({
      plans: [],
      planningRequests: [],
    });
    // The draft is not finished: it stays, and with it the request it came from.
    expect(await purgeFinished(t.db, { olderThanMs: 0 })).toMatchObject({
      plans: [cancelled.id],
      planningRequests: [],
    });
    expect(await getExecutionPlan(t.db, cancelled.id)).toBeNull();
    await cancelPlan(t.db, draft.id);
    await sleep(5);
    expect(await purgeFinished(t.db, { olderThanMs: 0 })).toEqual({
      tasks: [],
      plans: [draft.id],
      planningRequests: [request.id],
      more: false,
    });
    expect(await getPlanningRequest(t.db, request.id)).toBeNull();
  });
});
