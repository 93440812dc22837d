import type { PlanningRequest } from "@hive/models";
import {
  checkDatabase,
  type Database,
  getExecutionPlanForRequest,
  getPlanningRequest,
  listExecutionPlans,
  listPlanningRequests,
  listTasks,
  listWorkers,
  submitPlanningRequest,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import { taskCount } from "./testing/fixtures.ts";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

const CLEAN = {
  integrity: "ok",
  foreignKeyViolations: 0,
  dependencyCounterMismatches: 0,
  planCounterMismatches: 0,
};

/** Submits `n` requests whose plans have `components` components each (2 subtasks per component). */
async function submitMany(
  db: Database,
  n: number,
  components: (i: number) => number,
): Promise<PlanningRequest[]> {
  const out: PlanningRequest[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      await submitPlanningRequest(db, {
        taskDescription: `request ${i}`,
        contextData: { components: Array.from({ length: components(i) }, (_, c) => `part-${c}`) },
      }),
    );
  return out;
}

/**
 * Every request is either planned exactly once, whole (its plan and all its subtasks), or not
 * planned at all (no plan, no task). Returns the requests planned.
 */
async function expectWholeOrNothing(db: Database, requests: PlanningRequest[]): Promise<PlanningRequest[]> {
  const plans = await listExecutionPlans(db, { limit: 10_000 });
  const planned: PlanningRequest[] = [];
  let subtasks = 0;
  for (const r of requests) {
    const now = (await getPlanningRequest(db, r.id))!;
    const mine = plans.filter((p) => p.planningTaskId === r.id);
    if (now.status === "completed") {
      expect(mine, `plans of ${r.id}`).toHaveLength(1);
      const tasks = await listTasks(db, { planId: mine[0]!.id, limit: 10_000 });
      expect(tasks).toHaveLength(mine[0]!.subtaskCount);
      expect(tasks.length).toBe(mine[0]!.planData.sub_tasks.length);
      subtasks += tasks.length;
      planned.push(now);
    } else {
      expect(["pending", "assigned"]).toContain(now.status);
      expect(mine, `plans of unplanned ${r.id}`).toHaveLength(0);
    }
  }
  expect(plans).toHaveLength(planned.length);
  expect(await taskCount(db)).toBe(subtasks);
  expect(await checkDatabase(db)).toMatchObject(CLEAN);
  return planned;
}

/**
 * Once the orphaned assignments are older than `staleMs`, runs another planner (`--once`) that
 * takes them over, and checks it exits 0.
 */
async function replanOrphans(staleMs: number): Promise<void> {
  const assigned = await listPlanningRequests(temp.db, { status: "assigned", limit: 1000 });
  const newest = Math.max(0, ...assigned.map((r) => r.assignedAt!));
  await waitUntil(() => Date.now() > newest + staleMs, "the orphaned assignments to go stale");
  const b = await processes.run([
    "--db",
    temp.path,
    "--agent-id",
    "planner-b",
    "--once",
    "--stale-ms",
    String(staleMs),
  ]);
  expect(b.code, b.stderr).toBe(0);
}

describe("planner processes on one database", () => {
  it("never plan one request twice", async () => {
    const args = ["--db", temp.path, "--poll-ms", "20", "--concurrency", "2"];
    const a = processes.start([...args, "--agent-id", "planner-a"]);
    const b = processes.start([...args, "--agent-id", "planner-b"]);
    await waitUntil(
      async () => (await listWorkers(temp.db, "active")).filter((w) => w.role === "planner").length === 2,
      "both planners to register",
    );
    const requests = await submitMany(temp.db, 60, (i) => 1 + (i % 5));
    await waitUntil(
      async () => (await listPlanningRequests(temp.db, { status: "completed", limit: 1000 })).length === 60,
      "every request to be planned",
      90_000,
    );
    for (const p of [a, b]) p.child.kill("SIGTERM");
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(await b.exited).toEqual({ code: 0, signal: null });

    const planned = await expectWholeOrNothing(temp.db, requests);
    expect(planned).toHaveLength(60);
    // Each request was planned by one process, once: one "request planned" line in all the logs.
    const lines = [...a.logs(), ...b.logs()].filter((l) => l.msg === "request planned");
    expect(lines.map((l) => l.requestId).sort()).toEqual(requests.map((r) => r.id).sort());
    expect([...a.logs(), ...b.logs()].filter((l) => l.msg === "request no longer ours")).toEqual([]);
    // Both took part, so the two really competed for the same queue.
    const byAgent = new Set(planned.map((r) => r.assignedAgent));
    expect(byAgent).toEqual(new Set(["planner-a", "planner-b"]));
  });

  it("a planner killed mid-plan leaves no partial plan, and another plans the request", async () => {
    const a = processes.start(["--db", temp.path, "--agent-id", "planner-a", "--store-delay-ms", "600000"]);
    const [r] = await submitMany(temp.db, 1, () => 3);
    // Killed holding a finished plan it has not stored yet.
    await a.waitForLog("plan produced", { requestId: r!.id });
    a.child.kill("SIGKILL");
    expect((await a.exited).signal).toBe("SIGKILL");

    const orphan = (await getPlanningRequest(temp.db, r!.id))!;
    expect(orphan).toMatchObject({ status: "assigned", assignedAgent: "planner-a", attempts: 1 });
    expect(await getExecutionPlanForRequest(temp.db, r!.id)).toBeNull();
    expect(await taskCount(temp.db)).toBe(0);

    // Another planner takes it over once the assignment is older than its --stale-ms.
    await replanOrphans(1000);
    expect(await getPlanningRequest(temp.db, r!.id)).toMatchObject({
      status: "completed",
      assignedAgent: "planner-b",
      attempts: 2,
    });
    expect(await expectWholeOrNothing(temp.db, [r!])).toHaveLength(1);
  });

  it("killed at any moment, a planner leaves every request planned whole or not at all", async () => {
    // Large plans (50 components: 105 subtasks, 203 edges) make the storing transactions long
    // enough for the kill to land inside some of them.
    const requests = await submitMany(temp.db, 100, () => 50);
    const a = processes.start([
      "--db",
      temp.path,
      "--agent-id",
      "planner-a",
      "--poll-ms",
      "10",
      "--concurrency",
      "4",
    ]);
    await waitUntil(
      async () => (await listPlanningRequests(temp.db, { status: "completed", limit: 1000 })).length >= 3,
      "a few requests to be planned",
    );
    a.child.kill("SIGKILL");
    expect((await a.exited).signal).toBe("SIGKILL");

    const before = await expectWholeOrNothing(temp.db, requests);
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length, "the kill came after everything was planned").toBeLessThan(requests.length);

    await replanOrphans(500);
    expect(await expectWholeOrNothing(temp.db, requests)).toHaveLength(requests.length);
  });
});
