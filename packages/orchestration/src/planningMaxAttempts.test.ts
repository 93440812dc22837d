import type { HiveEvent, PlanningRequest } from "@hive/models";
import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import {
  claimPlanningRequests,
  getPlanningRequest,
  releasePlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";

const t = useTempDatabase();
const STALE_MS = 100;

/** Waits until the request's current assignment is older than STALE_MS: its planner looks dead. */
async function untilStale(id: string): Promise<void> {
  const r = (await getPlanningRequest(t.db, id))!;
  await waitUntil(() => Date.now() > r.assignedAt! + STALE_MS, `request ${id} to go stale`);
}

/** Claims by `agentId` with the short stale limit, as a planner taking over a dead one's work. */
const claim = (agentId: string, extra: { maxAttempts?: number; limit?: number } = {}) =>
  claimPlanningRequests(t.db, { agentId, staleAfterMs: STALE_MS, ...extra });

function failedEvents(): HiveEvent[] {
  const seen: HiveEvent[] = [];
  t.db.events.on("planning.failed", (e) => seen.push(e));
  return seen;
}

describe("claimPlanningRequests with maxAttempts", () => {
  it("fails a stale request whose claims reached maxAttempts instead of handing it out again", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "poison pill" });
    expect(await claim("planner-1", { maxAttempts: 2 })).toHaveLength(1);
    await untilStale(r.id);
    const [second] = await claim("planner-2", { maxAttempts: 2 });
    expect(second).toMatchObject({ id: r.id, attempts: 2, assignedAgent: "planner-2" });
    await untilStale(r.id);
    const seen = failedEvents();

    expect(await claim("planner-3", { maxAttempts: 2 })).toEqual([]);
    const after = (await getPlanningRequest(t.db, r.id))!;
    const reason =
      "its planner stopped answering 2 times (maxAttempts 2): not handed out again, as the request itself may be what stops its planners";
    expect(after).toMatchObject({
      status: "failed",
      attempts: 2,
      assignedAgent: "planner-2",
      errorMessage: reason,
    });
    expect(after.completedAt).toBeGreaterThanOrEqual(after.assignedAt!);
    expect(seen).toEqual([{ type: "planning.failed", requestId: r.id, error: reason }]);
    // Failed for good: no later claim takes it, whatever its limits.
    expect(await claim("planner-4", { maxAttempts: 100 })).toEqual([]);
    expect((await getPlanningRequest(t.db, r.id))!.status).toBe("failed");
  });

  it("gives up after 5 claims by default", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "poison pill" });
    for (let i = 1; i <= 5; i++) {
      const [c] = await claim(`planner-${i}`);
      expect(c, `claim ${i}`).toMatchObject({ id: r.id, attempts: i });
      await untilStale(r.id);
    }
    expect(await claim("planner-6")).toEqual([]);
    expect(await getPlanningRequest(t.db, r.id)).toMatchObject({
      status: "failed",
      attempts: 5,
      errorMessage: expect.stringMatching(/^its planner stopped answering 5 times \(maxAttempts 5\)/),
    });
  });

  it("claims the other requests in the same call, and leaves a stale request with attempts left to be taken over", async () => {
    const pill = await submitPlanningRequest(t.db, { taskDescription: "pill", priority: 9 });
    const retry = await submitPlanningRequest(t.db, { taskDescription: "retry", priority: 5 });
    await claim("dead-1", { limit: 2 });
    await untilStale(pill.id);
    await claim("dead-2", { limit: 1, maxAttempts: 10 }); // the pill again (higher priority): attempts 2
    await untilStale(pill.id);
    const fresh = await submitPlanningRequest(t.db, { taskDescription: "fresh", priority: 1 });

    const got = await claim("alive", { limit: 10, maxAttempts: 2 });
    expect(got.map((r: PlanningRequest) => [r.id, r.attempts])).toEqual([
      [retry.id, 2],
      [fresh.id, 1],
    ]);
    expect((await getPlanningRequest(t.db, pill.id))!.status).toBe("failed");
  });

  it("does not apply to pending requests: one given back by a live planner is claimed again", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "planner was unavailable" });
    await claim("p", { maxAttempts: 1 });
    await releasePlanningRequest(t.db, { requestId: r.id, agentId: "p" });
    const [again] = await claim("p", { maxAttempts: 1 });
    expect(again).toMatchObject({ id: r.id, status: "assigned", attempts: 2 });
  });

  it("fails an exhausted request once when planners claim at the same time", async () => {
    const r = await submitPlanningRequest(t.db, { taskDescription: "poison pill" });
    await claim("dead", { maxAttempts: 1 });
    await untilStale(r.id);
    const seen = failedEvents();
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => claim(`planner-${i}`, { maxAttempts: 1 })),
    );
    expect(results.flat()).toEqual([]);
    expect(seen.map((e) => e.type === "planning.failed" && e.requestId)).toEqual([r.id]);
    expect((await getPlanningRequest(t.db, r.id))!.status).toBe("failed");
  });

  it.each([0, -1, 1.5, "3", null])(
    "refuses maxAttempts %j with a ValidationError naming it and claims nothing, but takes a positive integer",
    async (bad) => {
      const r = await submitPlanningRequest(t.db, { taskDescription: "x" });
      const err = await claimPlanningRequests(t.db, { agentId: "p", maxAttempts: bad as never }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(/maxAttempts/);
      expect((await getPlanningRequest(t.db, r.id))!.status).toBe("pending");
      expect(await claimPlanningRequests(t.db, { agentId: "p", maxAttempts: 3 })).toMatchObject([
        { id: r.id },
      ]);
    },
  );
});
