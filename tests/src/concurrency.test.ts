import {
  checkDatabase,
  getExecutionPlanForRequest,
  listExecutionPlans,
  listPlanningRequests,
  submitPlanningRequest,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import {
  CONSISTENT,
  dependencyOrderProblems,
  overlapProblems,
  planShapeProblems,
  runAccountingProblems,
  snapshotPlan,
} from "./support/checks.ts";
import { useE2E } from "./support/e2e.ts";
import { startAgent, startDeployer, startPlanner, waitForWorkers } from "./support/stack.ts";

const COMPONENTS = [["api"], ["api", "frontend"], ["api", "frontend", "database"], ["worker", "auth"]];

describe("several planners and workers on many requests at once", () => {
  const t = useE2E();

  it("completes 20 plans with 2 planners and 3 workers: each request planned once, no subtask run twice at once, no run lost", async () => {
    const planners = ["planner-1", "planner-2"].map((id) => startPlanner(t, id));
    const agents = ["agent-1", "agent-2", "agent-3"].map((id) =>
      startAgent(t, { id, concurrency: 2, workMs: 40 }),
    );
    const deployer = startDeployer(t, "deployer-1", ["--concurrency", "2"]);
    await waitForWorkers(t.db, ["planner-1", "planner-2", "agent-1", "agent-2", "agent-3", "deployer-1"]);

    const requests = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submitPlanningRequest(t.db, {
          taskDescription: `request ${i}: build ${COMPONENTS[i % COMPONENTS.length]!.join(" and ")}`,
          requestor: "e2e",
          contextData: { components: COMPONENTS[i % COMPONENTS.length]! },
        }),
      ),
    );
    await waitUntil(
      async () => {
        const done = await listExecutionPlans(t.db, { status: "completed", limit: 1000 });
        const failed = await listExecutionPlans(t.db, { status: "failed", limit: 1000 });
        if (failed.length > 0) throw new Error(`plan ${failed[0]!.id} failed`);
        return done.length === 20;
      },
      "all 20 plans to complete",
      240_000,
      250,
    );

    // Each request was planned exactly once, by one of the two planners, into exactly one plan.
    const planned = await listPlanningRequests(t.db, { limit: 100 });
    expect(planned).toHaveLength(20);
    for (const r of planned) {
      expect(r.status).toBe("completed");
      expect(["planner-1", "planner-2"]).toContain(r.assignedAgent);
      expect(r.attempts).toBe(1);
    }
    const plans = await listExecutionPlans(t.db, { limit: 1000 });
    expect(plans).toHaveLength(20);
    expect(new Set(plans.map((p) => p.planningTaskId))).toEqual(new Set(requests.map((r) => r.id)));

    const ranBy = new Set<string>();
    let tasks = 0;
    for (const r of requests) {
      const plan = await getExecutionPlanForRequest(t.db, r.id);
      const s = await snapshotPlan(t.db, plan!.id);
      tasks += s.tasks.length;
      expect(s.tasks.filter((x) => x.status !== "completed").map((x) => x.subtaskId)).toEqual([]);
      expect(planShapeProblems(s)).toEqual([]);
      expect(dependencyOrderProblems(s)).toEqual([]);
      expect(overlapProblems(s)).toEqual([]);
      expect(runAccountingProblems(s)).toEqual([]);
      // No fault was injected: every claim led to one run, and that run completed.
      for (const runs of s.runs.values()) {
        expect(runs.map((x) => x.status)).toEqual(["completed"]);
        for (const x of runs) if (x.workerId?.startsWith("agent-")) ranBy.add(x.workerId);
      }
    }
    expect(tasks).toBeGreaterThan(20 * 6);
    expect(ranBy.size).toBeGreaterThan(1); // the work was shared between the worker processes

    const codes = await Promise.all([...planners, ...agents, deployer].map((d) => t.pool.stop(d)));
    expect(codes).toEqual([0, 0, 0, 0, 0, 0]);
    expect(await checkDatabase(t.db)).toEqual(CONSISTENT);
  });
});
