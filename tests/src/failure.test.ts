import {
  checkDatabase,
  getExecutionPlanForRequest,
  getPlanningRequest,
  submitPlanningRequest,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import {
  CONSISTENT,
  dependencyOrderProblems,
  type PlanSnapshot,
  planShapeProblems,
  runAccountingProblems,
  snapshotPlan,
  statusBySubtask,
} from "./support/checks.ts";
import { useE2E } from "./support/e2e.ts";
import { startAgent, startDeployer, startPlanner } from "./support/stack.ts";

/** The subtasks downstream of `id` in the plan (its dependents, theirs, and so on). */
function descendants(s: PlanSnapshot, id: string): Set<string> {
  const out = new Set<string>();
  const subs = s.plan.planData.sub_tasks;
  let frontier = [id];
  while (frontier.length > 0) {
    const next = subs.filter((st) => !out.has(st.id) && st.dependencies.some((d) => frontier.includes(d)));
    for (const st of next) out.add(st.id);
    frontier = next.map((st) => st.id);
  }
  return out;
}

describe("a plan that cannot succeed", () => {
  const t = useE2E();

  it("retries the failing subtask as configured, then fails the plan with its dependents blocked, and other plans complete", async () => {
    // The component "doomed" gives the plan a subtask `impl-doomed`, whose agent always fails.
    const agentOptions = { concurrency: 2, workMs: 60, backoffMs: 100, failSubtasks: ["impl-doomed"] };
    const daemons = [
      startPlanner(t, "planner-1"),
      startDeployer(t, "deployer-1"),
      startAgent(t, { id: "agent-1", ...agentOptions }),
      startAgent(t, { id: "agent-2", ...agentOptions }),
    ];
    const doomed = await submitPlanningRequest(t.db, {
      taskDescription: "an api and a doomed component",
      contextData: { components: ["api", "doomed"] },
    });
    const healthy = await Promise.all(
      ["api", "frontend"].map((c) =>
        submitPlanningRequest(t.db, {
          taskDescription: `a ${c}`,
          contextData: { components: [c, "database"] },
        }),
      ),
    );

    const finished = async (requestId: string) => {
      const p = await getExecutionPlanForRequest(t.db, requestId);
      if (!p || (p.status !== "completed" && p.status !== "failed")) return null;
      const s = await snapshotPlan(t.db, p.id);
      // The plan fails as soon as one subtask fails for good; the others may still finish.
      return s.tasks.some((x) => ["queued", "in_progress"].includes(x.status)) ? null : s;
    };
    const bad = await waitUntil(
      () => finished(doomed.id),
      "the doomed plan to fail and settle",
      120_000,
      200,
    );
    const good = await Promise.all(
      healthy.map((r) => waitUntil(() => finished(r.id), "the healthy plans to finish", 120_000, 200)),
    );

    expect(bad.plan.status).toBe("failed");
    const failing = bad.tasks.find((x) => x.subtaskId === "impl-doomed")!;
    const runs = bad.runs.get(failing.id)!;
    expect(failing.maxRetries).toBeGreaterThan(0);
    expect(failing).toMatchObject({ status: "failed", attempts: failing.maxRetries + 1 });
    expect(failing.lastError).toContain("simulated failure");
    expect(runs.map((r) => r.status)).toEqual(Array(failing.maxRetries + 1).fill("failed"));
    for (const r of runs) expect(r.errorMessage).toContain("simulated failure of the impl-doomed agent");

    // Every subtask downstream of the failure is blocked and never ran; the rest completed.
    const blocked = descendants(bad, "impl-doomed");
    expect(blocked.size).toBeGreaterThanOrEqual(3); // test-doomed, review, deploy at least
    const expected = Object.fromEntries(
      bad.plan.planData.sub_tasks.map((st) => [
        st.id,
        st.id === "impl-doomed" ? "failed" : blocked.has(st.id) ? "upstream_failed" : "completed",
      ]),
    );
    expect(statusBySubtask(bad)).toEqual(expected);
    for (const x of bad.tasks) if (blocked.has(x.subtaskId!)) expect(bad.runs.get(x.id)).toEqual([]);
    expect(bad.execution?.failedSubtasks).toEqual(["impl-doomed"]);
    expect(new Set(bad.execution?.blockedSubtasks)).toEqual(blocked);
    expect(runAccountingProblems(bad)).toEqual([]);
    expect(dependencyOrderProblems(bad)).toEqual([]);
    expect(planShapeProblems(bad)).toEqual([]);
    // Planning itself succeeded: the request is completed, its plan failed.
    expect((await getPlanningRequest(t.db, doomed.id))?.status).toBe("completed");

    for (const s of good) {
      expect(s.plan.status).toBe("completed");
      expect(s.tasks.filter((x) => x.status !== "completed").map((x) => x.subtaskId)).toEqual([]);
      expect(runAccountingProblems(s)).toEqual([]);
      expect(dependencyOrderProblems(s)).toEqual([]);
    }

    const codes = await Promise.all(daemons.map((d) => t.pool.stop(d)));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(await checkDatabase(t.db)).toEqual(CONSISTENT);
  });
});
