import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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
  overlapProblems,
  planShapeProblems,
  runAccountingProblems,
  snapshotPlan,
} from "./support/checks.ts";
import { useE2E } from "./support/e2e.ts";
import { startAgent, startDeployer, startPlanner } from "./support/stack.ts";

describe("one request through every daemon", () => {
  const t = useE2E();

  it("plans the request, runs every subtask after its dependencies, deploys, and completes plan and request", async () => {
    const artifact = join(t.dir, "build");
    mkdirSync(artifact);
    writeFileSync(join(artifact, "index.html"), "<p>shop v1</p>\n");
    const planner = startPlanner(t, "planner-1");
    const deployer = startDeployer(t, "deployer-1");
    const agents = [
      startAgent(t, { id: "agent-1", concurrency: 2, workMs: 90 }),
      startAgent(t, { id: "agent-2", concurrency: 2, workMs: 90 }),
    ];

    const request = await submitPlanningRequest(t.db, {
      taskDescription: "Build and ship a shop with an api, a frontend and a database",
      requestor: "e2e",
      contextData: {
        components: ["api", "frontend", "database"],
        deployment: {
          strategy: "local",
          artifact,
          target: "shop",
          healthCheck: { command: [process.execPath, "-e", "require('fs').accessSync('index.html')"] },
        },
      },
    });
    const plan = await waitUntil(
      async () => {
        const p = await getExecutionPlanForRequest(t.db, request.id);
        return p && (p.status === "completed" || p.status === "failed") ? p : null;
      },
      "the request's plan to finish",
      120_000,
    );
    expect(plan.status).toBe("completed");
    expect(await getPlanningRequest(t.db, request.id)).toMatchObject({
      status: "completed",
      assignedAgent: "planner-1",
    });

    const s = await snapshotPlan(t.db, plan.id);
    expect(s.tasks.length).toBeGreaterThanOrEqual(8); // analysis, design, 3 × (impl, test), review, deploy
    expect(s.tasks.filter((x) => x.status !== "completed").map((x) => x.subtaskId)).toEqual([]);
    expect(planShapeProblems(s)).toEqual([]);
    expect(dependencyOrderProblems(s)).toEqual([]);
    expect(overlapProblems(s)).toEqual([]);
    expect(runAccountingProblems(s)).toEqual([]);
    expect(s.execution).toMatchObject({ progressPercent: 100, blockedSubtasks: [], failedSubtasks: [] });
    expect(s.execution?.completedAt).not.toBeNull();
    // Deployments went to the deployer, everything else to the agents.
    for (const task of s.tasks) {
      const [run] = s.runs.get(task.id) ?? [];
      const owners = task.taskType === "deployment" ? ["deployer-1"] : ["agent-1", "agent-2"];
      expect(owners, task.subtaskId!).toContain(run?.workerId);
    }

    // The deployment is real: the release holds the artifact and `current` points at it.
    const deploy = s.tasks.find((x) => x.taskType === "deployment")!;
    const result = deploy.result as { releasePath: string; strategy: string };
    expect(result.strategy).toBe("local");
    expect(readFileSync(join(result.releasePath, "index.html"), "utf8")).toBe("<p>shop v1</p>\n");
    expect(realpathSync(join(t.dir, "deployments/shop/current"))).toBe(realpathSync(result.releasePath));

    const codes = await Promise.all([planner, deployer, ...agents].map((d) => t.pool.stop(d)));
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(await checkDatabase(t.db)).toEqual(CONSISTENT);
  });
});
