import { describe, expect, it } from "vitest";
import { InvalidTransitionError } from "./errors.ts";
import {
  claimPlanningRequests,
  completePlanningRequest,
  failPlanningRequest,
  releasePlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("planning refusals", () => {
  it("name the state each refused call would have moved the request to", async () => {
    const { id: requestId } = await submitPlanningRequest(t.db, { taskDescription: "do it" });
    await claimPlanningRequests(t.db, { agentId: "planner" });
    const calls = {
      failed: () => failPlanningRequest(t.db, { requestId, agentId: "other", error: "e" }),
      pending: () => releasePlanningRequest(t.db, { requestId, agentId: "other" }),
      completed: () =>
        completePlanningRequest(t.db, {
          requestId,
          agentId: "other",
          planData: { sub_tasks: [{ id: "a", title: "A" }] },
        }),
    };
    for (const [to, call] of Object.entries(calls)) {
      const refused = call();
      await expect(refused).rejects.toBeInstanceOf(InvalidTransitionError);
      await expect(refused).rejects.toMatchObject({
        from: "assigned",
        to,
        message: expect.stringContaining(
          `from assigned to ${to}: it is assigned to "planner", not to "other"`,
        ),
      });
    }
  });

  it("says an answered request can no longer be completed, instead of naming who it was assigned to", async () => {
    const requestId = (await submitPlanningRequest(t.db, { taskDescription: "do it" })).id;
    await claimPlanningRequests(t.db, { agentId: "planner" });
    const planData = { sub_tasks: [{ id: "a", title: "A" }] };
    await completePlanningRequest(t.db, { requestId, agentId: "planner", planData });
    await expect(
      completePlanningRequest(t.db, { requestId, agentId: "planner", planData }),
    ).rejects.toMatchObject({
      from: "completed",
      to: "completed",
      message: expect.stringContaining("only an assigned request can be completed; this one is completed"),
    });
  });
});
