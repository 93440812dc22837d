import type { PlanningRequest } from "@hive/models";
import {
  claimPlanningRequests,
  type Database,
  getExecutionPlanForRequest,
  getPlanningRequest,
  getWorker,
  listExecutionPlans,
  submitPlanningRequest,
} from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { type PlannerConfigInput, PlannerConfigSchema } from "./config.ts";
import { PlannerDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import {
  createBuiltinPlanner,
  createLlmPlanner,
  type Planner,
  PlannerUnavailableError,
} from "./planners/index.ts";
import { taskCount } from "./testing/fixtures.ts";
import { startLlmServer } from "./testing/llmServer.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();

function daemon(db: Database, planner: Planner, config: Partial<PlannerConfigInput> = {}): PlannerDaemon {
  const cfg = PlannerConfigSchema.parse({ agentId: "planner-1", pollMs: 20, llm: {}, ...config });
  return new PlannerDaemon(db, planner, cfg, createLogger("ai-planner", "silent"));
}

/** Runs a daemon in --once mode to the end. */
async function runOnce(d: PlannerDaemon): Promise<void> {
  await d.start();
  await d.done();
  await d.stop();
}

const submit = (db: Database, taskDescription: string) => submitPlanningRequest(db, { taskDescription });

/**
 * A planner that answers raw plan data, skipping its own validation: what a buggy or hostile
 * planner could hand the daemon. The request's description picks the plan.
 */
const RAW_PLANS: Record<string, unknown> = {
  cycle: {
    sub_tasks: [
      { id: "a", title: "A", dependencies: ["b"] },
      { id: "b", title: "B", dependencies: ["a"] },
    ],
  },
  dangling: { sub_tasks: [{ id: "a", title: "A", dependencies: ["ghost"] }] },
  schema: { sub_tasks: [{ id: "a", title: "" }] },
  duplicate: {
    sub_tasks: [
      { id: "a", title: "A" },
      { id: "a", title: "A again" },
    ],
  },
  empty: { sub_tasks: [] },
  // 3,000 dangling dependencies: every problem named, ~250,000 characters of reason.
  huge: {
    sub_tasks: Array.from({ length: 3000 }, (_, i) => ({
      id: `s${i}`,
      title: "S",
      dependencies: [`a-dependency-that-no-subtask-of-this-plan-has-${i}`],
    })),
  },
  good: { sub_tasks: [{ id: "only", title: "Only", task_type: "deployment" }] },
};
const rawPlanner: Planner = {
  kind: "raw",
  async plan(request) {
    return {
      planData: RAW_PLANS[request.taskDescription] as never,
      estimatedDuration: 1,
      estimatedComplexity: "simple",
      generatedWorkflow: {},
    };
  },
};

describe("PlannerDaemon with an invalid plan", () => {
  it.each([
    ["cycle", "invalid plan: dependency cycle: a -> b -> a"],
    ["dangling", 'invalid plan: subtask "a" depends on "ghost", which is not in the plan'],
    ["schema", "invalid plan: schema error: sub_tasks.0.title: must not be empty"],
    ["duplicate", 'invalid plan: subtask id "a" is used twice'],
    ["empty", "invalid plan: schema error: sub_tasks: a plan needs at least one subtask"],
  ])("fails the request (%s) with the reason and writes no task", async (kind, reason) => {
    const { db } = temp;
    const r = await submit(db, kind);
    const d = daemon(db, rawPlanner, { once: true });
    await runOnce(d);
    const after = await getPlanningRequest(db, r.id);
    expect(after).toMatchObject({ status: "failed", errorMessage: reason, assignedAgent: "planner-1" });
    expect(await getExecutionPlanForRequest(db, r.id)).toBeNull();
    expect(await taskCount(db)).toBe(0);
    expect(d.stats).toMatchObject({ planned: 0, rejected: 1 });
  });

  it("fails a plan with thousands of problems with a reason it can store: the first ten, and a count", async () => {
    const { db } = temp;
    const r = await submit(db, "huge");
    const d = daemon(db, rawPlanner, { once: true });
    await runOnce(d);
    const after = await getPlanningRequest(db, r.id);
    expect(after?.status).toBe("failed");
    expect(after?.errorMessage).toMatch(
      /^invalid plan: subtask "s0" depends on "a-dependency-that-no-subtask/,
    );
    expect(after?.errorMessage).toMatch(/; and 2990 more problems$/);
    expect(after!.errorMessage!.length).toBeLessThanOrEqual(10_000);
    expect(await taskCount(db)).toBe(0);
    expect(d.stats).toMatchObject({ planned: 0, rejected: 1 });
  });

  it("goes on planning the next requests", async () => {
    const { db } = temp;
    const bad1 = await submit(db, "cycle");
    const good = await submit(db, "good");
    const bad2 = await submit(db, "dangling");
    const d = daemon(db, rawPlanner, { once: true, concurrency: 1 });
    await runOnce(d);
    expect((await getPlanningRequest(db, bad1.id))!.status).toBe("failed");
    expect((await getPlanningRequest(db, bad2.id))!.status).toBe("failed");
    expect((await getPlanningRequest(db, good.id))!.status).toBe("completed");
    const plan = await getExecutionPlanForRequest(db, good.id);
    expect(plan).toMatchObject({ status: "executing", subtaskCount: 1 });
    expect(await taskCount(db)).toBe(1);
    expect(d.stats).toMatchObject({ planned: 1, rejected: 2 });
  });
});

describe("PlannerDaemon when planning fails", () => {
  it("gives the request back while the planner is unavailable, then fails it after maxAttempts", async () => {
    const { db } = temp;
    let calls = 0;
    const down: Planner = {
      kind: "down",
      async plan() {
        calls++;
        throw new PlannerUnavailableError("connection refused");
      },
    };
    const r = await submit(db, "x");
    const d = daemon(db, down, { once: true, maxAttempts: 2 });
    await runOnce(d);
    expect(calls).toBe(2);
    expect(await getPlanningRequest(db, r.id)).toMatchObject({
      status: "failed",
      attempts: 2,
      errorMessage: "planner unavailable after 2 attempts: connection refused",
    });
    expect(d.stats).toMatchObject({ released: 1, failed: 1 });
    expect(await taskCount(db)).toBe(0);
  });

  it("gives the request back when the LLM API sends its headers and then stalls, up to maxAttempts", async () => {
    const { db } = temp;
    const server = await startLlmServer("sk-test", () => "stall");
    try {
      const llm = createLlmPlanner({
        kind: "llm",
        apiKey: "sk-test",
        baseUrl: `${server.url}/v1`,
        timeoutMs: 200,
      });
      const r = await submit(db, "x");
      const d = daemon(db, llm, { once: true, maxAttempts: 2 });
      await runOnce(d);
      expect(server.calls).toHaveLength(2);
      const after = await getPlanningRequest(db, r.id);
      expect(after).toMatchObject({ status: "failed", attempts: 2 });
      expect(after!.errorMessage).toMatch(
        /^planner unavailable after 2 attempts: openai API reply broke off/,
      );
      expect(d.stats).toMatchObject({ released: 1, failed: 1 });
    } finally {
      await server.close();
    }
  });

  it("fails the request on a planner bug instead of retrying it forever", async () => {
    const { db } = temp;
    const buggy: Planner = {
      kind: "buggy",
      async plan() {
        throw new TypeError("cannot read properties of undefined");
      },
    };
    const r = await submit(db, "x");
    await runOnce(daemon(db, buggy, { once: true }));
    expect(await getPlanningRequest(db, r.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      errorMessage: "planner error: cannot read properties of undefined",
    });
  });

  it("drops its plan when another planner took the request over, so it is never planned twice", async () => {
    const { db } = temp;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let asked!: (r: PlanningRequest) => void;
    const started = new Promise<PlanningRequest>((r) => {
      asked = r;
    });
    const builtin = createBuiltinPlanner();
    const slow: Planner = {
      kind: "slow",
      async plan(request) {
        asked(request);
        await gate;
        return builtin.plan(request);
      },
    };
    const r = await submit(db, "x");
    const d = daemon(db, slow);
    await d.start();
    const claimed = await started;
    // The first planner looks dead (assigned longer ago than staleAfterMs): another one takes over.
    await waitUntil(() => Date.now() > claimed.assignedAt! + 150, "the assignment to go stale");
    const [taken] = await claimPlanningRequests(db, { agentId: "planner-2", staleAfterMs: 100 });
    expect(taken!.id).toBe(r.id);
    release();
    await waitUntil(() => d.stats.lost === 1, "the first planner to drop its plan");
    await d.stop();
    expect(await getPlanningRequest(db, r.id)).toMatchObject({
      status: "assigned",
      assignedAgent: "planner-2",
    });
    expect(await listExecutionPlans(db)).toEqual([]);
    expect(await taskCount(db)).toBe(0);
  });
});

describe("PlannerDaemon stop()", () => {
  /** A planner that answers when told to, or never (it honours the abort signal). */
  function heldPlanner() {
    const builtin = createBuiltinPlanner();
    let answer!: () => void;
    const go = new Promise<void>((r) => {
      answer = r;
    });
    let inflight = 0;
    const planner: Planner = {
      kind: "held",
      async plan(request, opts) {
        inflight++;
        await new Promise<void>((resolve, reject) => {
          void go.then(resolve);
          opts?.signal?.addEventListener("abort", () => reject(new PlannerUnavailableError("aborted")));
        });
        return builtin.plan(request);
      },
    };
    return { planner, answer, inflight: () => inflight };
  }

  it("lets a plan in flight finish within drainMs, then marks the worker offline", async () => {
    const { db } = temp;
    const held = heldPlanner();
    const r = await submit(db, "x");
    const d = daemon(db, held.planner, { drainMs: 60_000 });
    await d.start();
    expect(await getWorker(db, "planner-1")).toMatchObject({ role: "planner", status: "active" });
    await waitUntil(() => held.inflight() === 1, "the plan to start");
    const stopping = d.stop();
    held.answer();
    await stopping;
    expect((await getPlanningRequest(db, r.id))!.status).toBe("completed");
    expect((await getWorker(db, "planner-1"))!.status).toBe("offline");
  });

  it("aborts a plan that outlasts drainMs and gives its request back", async () => {
    const { db } = temp;
    const held = heldPlanner();
    const r = await submit(db, "x");
    const d = daemon(db, held.planner, { drainMs: 100 });
    await d.start();
    await waitUntil(() => held.inflight() === 1, "the plan to start");
    await d.stop();
    expect(await getPlanningRequest(db, r.id)).toMatchObject({ status: "pending", assignedAgent: null });
    expect(d.stats.released).toBe(1);
    expect(await taskCount(db)).toBe(0);
  });

  it("cuts the store delay short when draining times out, storing nothing", async () => {
    const { db } = temp;
    const r = await submit(db, "x");
    const d = daemon(db, createBuiltinPlanner(), { storeDelayMs: 600_000, drainMs: 100 });
    await d.start();
    await waitUntil(async () => (await getPlanningRequest(db, r.id))!.status === "assigned", "the claim");
    await d.stop();
    expect((await getPlanningRequest(db, r.id))!.status).toBe("pending");
    expect(await getExecutionPlanForRequest(db, r.id)).toBeNull();
  });
});

describe("the planner's start-up log", () => {
  it("shows its configuration with the database URL's credentials and the API key masked", async () => {
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(l) });
    const cfg = PlannerConfigSchema.parse({
      agentId: "planner-1",
      pollMs: 20,
      once: true,
      databaseUrl: "postgres://hive:s3cret@db.example:5432/hive",
      llm: { apiKey: "sk-secret" },
    });
    await runOnce(new PlannerDaemon(temp.db, createBuiltinPlanner(), cfg, log));
    const started = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "planner started");
    expect(started.config).toMatchObject({
      databaseUrl: "postgres://***@db.example:5432/hive",
      llm: { apiKey: "***" },
    });
    expect(lines.join("")).not.toMatch(/s3cret|sk-secret/);
  });
});
