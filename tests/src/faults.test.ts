import {
  checkDatabase,
  getExecutionPlanForRequest,
  listExecutionPlans,
  listTasks,
  listWorkers,
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
import { type Daemon, isAlive } from "./support/daemons.ts";
import { useE2E } from "./support/e2e.ts";
import { type AgentOptions, startAgent, startDeployer, startPlanner } from "./support/stack.ts";

const KILLS = 10;
// Short leases so that the work of a killed worker is reaped and run again within seconds, renewed
// often enough (8 times a lease) that a live worker on a loaded machine does not lose them.
const AGENT: Omit<AgentOptions, "id"> = {
  concurrency: 2,
  workMs: 600,
  leaseMs: 2000,
  heartbeatMs: 250,
  reaperMs: 250,
  // Above the planner's (5 s) and the deployer's (10 s) heartbeat periods: a reaper judging
  // other workers by its own short period took live ones for dead (the Worker's default is 30 s).
  workerTimeoutMs: 15_000,
  backoffMs: 100,
};

describe("worker processes killed during a run", () => {
  const t = useE2E();

  it("completes every plan and every task exactly once when a random worker is SIGKILLed 10 times", async () => {
    const planner = startPlanner(t, "planner-1");
    const deployer = startDeployer(t, "deployer-1", ["--concurrency", "2"]);
    const slots: Daemon[] = [1, 2, 3].map((n) => startAgent(t, { id: `agent-${n}-0`, ...AGENT }));
    const requests = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        submitPlanningRequest(t.db, {
          taskDescription: `request ${i}`,
          contextData: { components: ["api", "frontend", "database", "auth"] },
        }),
      ),
    );

    const killed: string[] = [];
    for (let k = 1; k <= KILLS; k++) {
      // A victim holds at least one lease (it is in the middle of a run) and none of its tasks is
      // on its last attempt: a kill then costs an attempt, never the task. Exhausting retries
      // through lost leases is the retry policy working, not what this test is about.
      const victim = await waitUntil(
        async () => {
          const running = await listTasks(t.db, { status: "in_progress", limit: 100_000 });
          const eligible = slots.filter((d) => {
            const held = running.filter((x) => x.assignedWorker === d.name);
            return isAlive(d) && held.length > 0 && held.every((x) => x.attempts <= x.maxRetries);
          });
          return eligible[Math.floor(Math.random() * eligible.length)] ?? null;
        },
        `a worker in the middle of a run (kill ${k})`,
        120_000,
        50,
      );
      await t.pool.kill(victim);
      killed.push(victim.name);
      const slot = slots.indexOf(victim);
      slots[slot] = startAgent(t, { id: `agent-${slot + 1}-${k}`, ...AGENT });
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 500));
    }
    expect(killed).toHaveLength(KILLS);

    await waitUntil(
      async () => (await listExecutionPlans(t.db, { status: "completed", limit: 100 })).length === 8,
      "every plan to complete after the kills",
      180_000,
      250,
    );

    let lost = 0;
    for (const r of requests) {
      const plan = await getExecutionPlanForRequest(t.db, r.id);
      const s = await snapshotPlan(t.db, plan!.id);
      expect(s.plan.status).toBe("completed");
      expect(s.tasks.filter((x) => x.status !== "completed").map((x) => x.subtaskId)).toEqual([]);
      // Exactly once, with leases: a killed worker may have done the work of its last attempt
      // without recording it; the guarantee is one recorded completion per task. Its earlier
      // attempts are closed `lost` by the reaper, never `completed`, and none is missing.
      expect(runAccountingProblems(s)).toEqual([]);
      for (const runs of s.runs.values()) {
        expect(runs.filter((x) => x.status === "completed")).toHaveLength(1);
        expect(runs.every((x) => x.status === "completed" || x.status === "lost")).toBe(true);
        lost += runs.filter((x) => x.status === "lost").length;
      }
      expect(planShapeProblems(s)).toEqual([]);
      expect(dependencyOrderProblems(s)).toEqual([]);
      expect(overlapProblems(s)).toEqual([]);
    }
    expect(lost).toBeGreaterThan(0); // the kills did interrupt work in progress

    // Dead workers are found out by the reapers of the living: every killed one goes offline
    // once it has been silent for the agents' worker timeout.
    await waitUntil(async () => {
      const workers = new Map((await listWorkers(t.db)).map((w) => [w.id, w.status]));
      return killed.every((id) => workers.get(id) === "offline");
    }, "every killed worker marked offline");

    const codes = await Promise.all([planner, deployer, ...slots].map((d) => t.pool.stop(d)));
    expect(codes).toEqual([0, 0, 0, 0, 0]);
    expect(await checkDatabase(t.db)).toEqual(CONSISTENT);
  });
});
