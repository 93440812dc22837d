import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  getExecutionPlanForRequest,
  getPlanExecution,
  getPlanningRequest,
  getTaskDependencies,
  getWorker,
  listTasks,
  listWorkers,
  submitPlanningRequest,
  subtaskTaskId,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { afterEach, describe, expect, it } from "vitest";
import { taskCount } from "./testing/fixtures.ts";
import { cyclicPlanJson, type LlmServer, startLlmServer, validPlanJson } from "./testing/llmServer.ts";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

describe("hive-planner (daemon process)", () => {
  it("plans a submitted request: subtasks with the plan's edges, plan executing, request completed", async () => {
    const submitted = await processes.run([
      "submit",
      "--db",
      temp.path,
      "-d",
      "Build the shop",
      "-c",
      '{"components":["api","web"],"target_environment":"staging"}',
    ]);
    expect(submitted.code).toBe(0);
    const { id } = JSON.parse(submitted.stdout);

    const run = await processes.run(["--db", temp.path, "--once", "--agent-id", "planner-a"]);
    expect(run.code, run.stderr).toBe(0);

    const request = (await getPlanningRequest(temp.db, id))!;
    expect(request).toMatchObject({ status: "completed", assignedAgent: "planner-a", errorMessage: null });
    expect(request.assignedAt).toBeGreaterThanOrEqual(request.createdAt);
    expect(request.completedAt).toBeGreaterThanOrEqual(request.assignedAt!);

    const plan = (await getExecutionPlanForRequest(temp.db, id))!;
    const subtasks = plan.planData.sub_tasks;
    const edges = subtasks.reduce((n, s) => n + s.dependencies.length, 0);
    expect(plan).toMatchObject({
      status: "executing",
      estimatedComplexity: "medium",
      subtaskCount: subtasks.length,
      dependencyCount: edges,
    });
    expect(plan.estimatedDuration).toBeGreaterThan(0);
    expect(plan.generatedWorkflow).toMatchObject({ implementation: ["impl-api", "impl-web"] });

    const tasks = await listTasks(temp.db, { planId: plan.id, limit: 1000 });
    expect(tasks.map((t) => t.id).sort()).toEqual(subtasks.map((s) => subtaskTaskId(plan.id, s.id)).sort());
    for (const s of subtasks) {
      const taskId = subtaskTaskId(plan.id, s.id);
      expect((await getTaskDependencies(temp.db, taskId)).sort(), s.id).toEqual(
        s.dependencies.map((d) => subtaskTaskId(plan.id, d)).sort(),
      );
      const task = tasks.find((t) => t.id === taskId)!;
      expect(task).toMatchObject({
        taskType: s.task_type,
        requiredSkills: s.required_skills,
        priority: s.priority,
      });
      // The plan is executing: its root is claimable, everything else waits for its dependencies.
      expect(task.status).toBe(s.dependencies.length === 0 ? "queued" : "blocked");
    }
    expect(tasks.find((t) => t.subtaskId === "deploy")).toMatchObject({
      taskType: "deployment",
      payload: expect.objectContaining({ environment: "staging" }),
    });
    expect((await getPlanExecution(temp.db, plan.id))!.totalSubtasks).toBe(subtasks.length);

    // Registered as a planner worker, offline once --once is done.
    expect(await getWorker(temp.db, "planner-a")).toMatchObject({ role: "planner", status: "offline" });
    // Nothing pending: a second --once run exits at once and plans nothing more.
    const again = await processes.run(["--db", temp.path, "--once"]);
    expect(again.code).toBe(0);
    expect(await taskCount(temp.db)).toBe(subtasks.length);
  });

  it("heartbeats as a planner worker, and on SIGTERM finishes the plan in flight and exits 0", async () => {
    const p = processes.start([
      "--db",
      temp.path,
      "--agent-id",
      "planner-b",
      "--heartbeat-ms",
      "100",
      "--poll-ms",
      "20",
      "--store-delay-ms",
      "1500",
    ]);
    const first = await waitUntil(
      async () => (await listWorkers(temp.db)).find((w) => w.id === "planner-b" && w.role === "planner"),
      "the planner to register",
    );
    expect(first.status).toBe("active");
    await waitUntil(
      async () => (await getWorker(temp.db, "planner-b"))!.lastHeartbeat > first.lastHeartbeat,
      "a heartbeat",
    );

    const r = await submitPlanningRequest(temp.db, { taskDescription: "Build a worker queue" });
    await p.waitForLog("plan produced", { requestId: r.id });
    p.child.kill("SIGTERM");
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.logs().some((l) => l.msg === "draining" && l.signal === "SIGTERM")).toBe(true);
    // Drained, not dropped: the plan produced before the signal was stored.
    expect((await getPlanningRequest(temp.db, r.id))!.status).toBe("completed");
    expect(await getWorker(temp.db, "planner-b")).toMatchObject({ status: "offline" });
  });

  it("exits 2 naming the field on an invalid configuration, without opening the database", async () => {
    const db = join(temp.dir, "untouched.db");
    const bad = await processes.run(["--db", db, "--poll-ms", "1"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/invalid configuration: pollMs: /);
    expect(existsSync(db)).toBe(false);
  });
});

describe("hive-planner with the LLM planner (daemon process)", () => {
  const KEY = "sk-local";
  let server: LlmServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("is off without a key and says so, exiting 2 before touching the database", async () => {
    const db = join(temp.dir, "untouched.db");
    const { code, stderr } = await processes.run(["--db", db, "--planner", "llm"]);
    expect(code).toBe(2);
    expect(stderr).toContain("the LLM planner is off: no API key is configured");
    expect(existsSync(db)).toBe(false);
  });

  it("plans over HTTP, and fails a request whose answers stay invalid with the cycle named, then goes on", async () => {
    server = await startLlmServer(KEY, (call) =>
      call.messages[0]!.content.includes("loop forever")
        ? { text: cyclicPlanJson() }
        : { text: validPlanJson() },
    );
    const bad = await submitPlanningRequest(temp.db, { taskDescription: "loop forever", priority: 10 });
    const good = await submitPlanningRequest(temp.db, { taskDescription: "ship the app", priority: 1 });
    const run = await processes.run(["--db", temp.path, "--once", "--concurrency", "1"], {
      HIVE_PLANNER: "llm",
      HIVE_LLM_PROVIDER: "anthropic",
      HIVE_LLM_API_KEY: KEY,
      HIVE_LLM_BASE_URL: server.url,
      HIVE_LLM_MAX_ATTEMPTS: "2",
    });
    expect(run.code, run.stderr).toBe(0);

    expect(await getPlanningRequest(temp.db, bad.id)).toMatchObject({
      status: "failed",
      errorMessage: "invalid plan: no valid plan after 2 attempts; last error: dependency cycle: a -> b -> a",
    });
    expect(await getExecutionPlanForRequest(temp.db, bad.id)).toBeNull();
    const badCalls = server.calls.filter((c) => c.messages[0]!.content.includes("loop forever"));
    expect(badCalls).toHaveLength(2);
    expect(badCalls[1]!.messages.at(-1)!.content).toContain("dependency cycle: a -> b -> a");

    expect((await getPlanningRequest(temp.db, good.id))!.status).toBe("completed");
    const plan = (await getExecutionPlanForRequest(temp.db, good.id))!;
    expect(plan.subtaskCount).toBe(4);
    // Only the valid plan reached the tasks table.
    expect(await taskCount(temp.db)).toBe(4);
    expect((await listTasks(temp.db, { planId: plan.id })).map((t) => t.subtaskId).sort()).toEqual([
      "analyse",
      "build-a",
      "build-b",
      "ship",
    ]);
  });
});
