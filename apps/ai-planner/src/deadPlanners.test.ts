import {
  claimPlanningRequests,
  getExecutionPlanForRequest,
  getPlanningRequest,
  getWorker,
  registerWorker,
  submitPlanningRequest,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import { loadPlannerConfig, PlannerConfigSchema } from "./config.ts";
import { PlannerDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import { createBuiltinPlanner } from "./planners/index.ts";
import { taskCount } from "./testing/fixtures.ts";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

describe("a planner beside dead planners", () => {
  it("fails a request whose planners died maxAttempts times instead of planning it again", async () => {
    const { db } = temp;
    const r = await submitPlanningRequest(db, { taskDescription: "the request that kills planners" });
    // Two planners took it and died (nothing more happened: no release, no result).
    for (const dead of ["dead-1", "dead-2"]) {
      const [c] = await claimPlanningRequests(db, { agentId: dead, staleAfterMs: 100 });
      expect(c?.id).toBe(r.id);
      await waitUntil(() => Date.now() > c!.assignedAt! + 100, "the assignment to go stale");
    }
    const config = PlannerConfigSchema.parse({
      agentId: "survivor",
      pollMs: 20,
      staleAfterMs: 100,
      maxAttempts: 2,
      once: true,
      llm: {},
    });
    const d = new PlannerDaemon(db, createBuiltinPlanner(), config, createLogger("ai-planner", "silent"));
    await d.start();
    await d.done();
    await d.stop();
    expect(await getPlanningRequest(db, r.id)).toMatchObject({
      status: "failed",
      attempts: 2,
      assignedAgent: "dead-2",
      errorMessage: expect.stringMatching(/^its planner stopped answering 2 times \(maxAttempts 2\)/),
    });
    expect(await getExecutionPlanForRequest(db, r.id)).toBeNull();
    expect(await taskCount(db)).toBe(0);
    expect(d.stats.planned).toBe(0);
  });

  it("marks a planner killed with SIGKILL offline, and stays active itself", async () => {
    const killed = processes.start([
      "--db",
      temp.path,
      "--agent-id",
      "planner-killed",
      "--heartbeat-ms",
      "50",
    ]);
    await waitUntil(
      async () => (await getWorker(temp.db, "planner-killed"))?.status === "active",
      "the first planner to register",
    );
    killed.child.kill("SIGKILL");
    expect((await killed.exited).signal).toBe("SIGKILL");
    // A SIGKILLed planner says no goodbye: its row stays active until a reaper sees it.
    expect((await getWorker(temp.db, "planner-killed"))!.status).toBe("active");

    const survivor = processes.start([
      "--db",
      temp.path,
      "--agent-id",
      "planner-survivor",
      "--heartbeat-ms",
      "50",
      "--reaper-ms",
      "50",
      "--worker-timeout-ms",
      "2000",
    ]);
    const reaped = await survivor.waitForLog("reaped silent workers and expired leases");
    expect(reaped.offlineWorkers).toEqual(["planner-killed"]);
    expect(await getWorker(temp.db, "planner-killed")).toMatchObject({ role: "planner", status: "offline" });
    // It heartbeats 40 times per timeout: its own reaper never takes it for dead.
    expect(await getWorker(temp.db, "planner-survivor")).toMatchObject({ status: "active" });
    survivor.child.kill("SIGTERM");
    expect(await survivor.exited).toEqual({ code: 0, signal: null });
  });

  it("marks a registered worker with an old heartbeat offline", async () => {
    await registerWorker(temp.db, { workerId: "silent-worker", role: "agent", capabilities: ["coding"] });
    const p = processes.start([
      "--db",
      temp.path,
      "--heartbeat-ms",
      "50",
      "--reaper-ms",
      "50",
      "--worker-timeout-ms",
      "1000",
    ]);
    await waitUntil(
      async () => (await getWorker(temp.db, "silent-worker"))?.status === "offline",
      "the silent worker to be marked offline",
    );
    p.child.kill("SIGTERM");
    expect(await p.exited).toEqual({ code: 0, signal: null });
  });

  it("reaps every 2 s by default, and takes a worker for dead after max(30 s, 3 heartbeats)", () => {
    expect(loadPlannerConfig([], {})).toMatchObject({ reaperMs: 2000, workerTimeoutMs: 30_000 });
    expect(loadPlannerConfig(["--heartbeat-ms", "20000"], {}).workerTimeoutMs).toBe(60_000);
    expect(loadPlannerConfig(["--reaper-ms", "0"], { HIVE_PLANNER_WORKER_TIMEOUT_MS: "900" })).toMatchObject({
      reaperMs: 0,
      workerTimeoutMs: 900,
    });
  });
});
