import pg from "pg";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { InvalidTransitionError } from "./errors.ts";
import type { Database, Transaction } from "./handle.ts";
import { checkDatabase } from "./integrity.ts";
import {
  claimPlanningRequests,
  completePlanningRequest,
  failPlanningRequest,
  getPlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import {
  cancelPlan,
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlanStatus,
  listExecutionPlans,
  markPlanExecutionStarted,
  subtaskTaskId,
} from "./plans.ts";
import { getTask, requeueTask } from "./tasks.ts";
import { makeWorker, sleep, startedPlan, useTempDatabase } from "./testing/fixtures.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { transaction } from "./tx.ts";

const t = useTempDatabase();

async function draftPlan(withTasks: boolean): Promise<string> {
  const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
  const plan = await createExecutionPlan(t.db, {
    planningTaskId: request.id,
    planData: {
      sub_tasks: [
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
      ],
    },
  });
  if (withTasks) await createPlannedSubtasksFromPlan(t.db, plan.id);
  return plan.id;
}

/**
 * Runs `first` in a transaction on the test's handle and holds it open until `second`, on a
 * handle of its own, waits for a lock; then commits the first and returns the second's outcome.
 */
async function race<T>(
  first: (tx: Transaction) => Promise<unknown>,
  second: (db: Database) => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  // Named, so that the lock wait looked for is this handle's, not another test's on the server.
  const schema = (t.temp.openOptions as { schema: string }).schema;
  const name = `race_${schema}`.slice(0, 63);
  const db2 = await openDatabase({ url: `${TEST_PG_URL}?application_name=${name}`, schema });
  const watcher = new pg.Client({ connectionString: TEST_PG_URL });
  await watcher.connect();
  try {
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let started!: () => void;
    const inside = new Promise<void>((r) => {
      started = r;
    });
    const one = transaction(t.db, async (tx) => {
      await first(tx);
      started();
      await held;
    });
    await inside;
    const two = second(db2).then(
      (value) => ({ status: "fulfilled", value }) as const,
      (reason: unknown) => ({ status: "rejected", reason }) as const,
    );
    await waitUntil(
      async () =>
        Number(
          (
            await watcher.query(
              "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1",
              [name],
            )
          ).rows[0].n,
        ) > 0,
      "the second call waiting for the first's lock",
    );
    release();
    await one;
    return await two;
  } finally {
    await watcher.end();
    await closeDatabase(db2);
  }
}

describe.skipIf(testBackend !== "postgres")("concurrent plan transitions (PostgreSQL)", () => {
  it("a second markPlanExecutionStarted racing the first is refused and does not release a task twice", async () => {
    const planId = await draftPlan(true);
    const second = await race(
      (tx) => markPlanExecutionStarted(tx, planId),
      (db) => markPlanExecutionStarted(db, planId),
    );
    expect(second.status).toBe("rejected");
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransitionError);
    // b still waits for a: not queued (claimable) before its dependency ran.
    expect((await getTask(t.db, subtaskTaskId(planId, "b")))!.status).toBe("blocked");
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
  });

  it("markPlanExecutionStarted racing cancelPlan does not bring the cancelled plan back", async () => {
    const planId = await draftPlan(true);
    const second = await race(
      (tx) => cancelPlan(tx, planId),
      (db) => markPlanExecutionStarted(db, planId),
    );
    expect((second as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransitionError);
    expect(await getExecutionPlanStatus(t.db, planId)).toBe("cancelled");
  });

  it("cancelPlan waiting for a start cancels the started plan and its tasks", async () => {
    const planId = await draftPlan(true);
    const second = await race(
      (tx) => markPlanExecutionStarted(tx, planId),
      (db) => cancelPlan(db, planId),
    );
    expect(second.status).toBe("fulfilled");
    expect(await getExecutionPlanStatus(t.db, planId)).toBe("cancelled");
    expect((await getTask(t.db, subtaskTaskId(planId, "a")))!.status).toBe("cancelled");
    expect(await checkDatabase(t.db)).toMatchObject({
      planCounterMismatches: 0,
      dependencyCounterMismatches: 0,
    });
  });

  it("createPlannedSubtasksFromPlan racing markPlanExecutionStarted leaves no task gated in the executing plan", async () => {
    const planId = await draftPlan(false);
    // The start waits for the creation's lock on the plan, or the creation for the start's.
    const second = await race(
      (tx) => markPlanExecutionStarted(tx, planId),
      (db) => createPlannedSubtasksFromPlan(db, planId),
    );
    expect(second).toEqual({ status: "fulfilled", value: 2 });
    expect((await getTask(t.db, subtaskTaskId(planId, "a")))!.status).toBe("queued");
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
  });

  it("two createPlannedSubtasksFromPlan at once create the tasks once, the second returning 0", async () => {
    const planId = await draftPlan(false);
    const second = await race(
      (tx) => createPlannedSubtasksFromPlan(tx, planId),
      (db) => createPlannedSubtasksFromPlan(db, planId),
    );
    expect(second).toEqual({ status: "fulfilled", value: 0 });
  });
});

describe.skipIf(testBackend !== "postgres")("concurrent planning request transitions (PostgreSQL)", () => {
  const planData = { sub_tasks: [{ id: "a", title: "A" }] };

  /** A request claimed by planner p1 and gone stale, so that planner p2 may take it back. */
  async function staleRequest(): Promise<string> {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    await claimPlanningRequests(t.db, { agentId: "p1", staleAfterMs: 100 });
    await sleep(150);
    return request.id;
  }

  it("a planner whose request was taken back and completed meanwhile cannot complete it too", async () => {
    const requestId = await staleRequest();
    const late = await race(
      async (tx) => {
        await claimPlanningRequests(tx, { agentId: "p2", staleAfterMs: 100 });
        await completePlanningRequest(tx, { requestId, agentId: "p2", planData });
      },
      (db) => completePlanningRequest(db, { requestId, agentId: "p1", planData }),
    );
    expect((late as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransitionError);
    // One plan for the request: the late planner's was not stored and started beside it.
    expect((await listExecutionPlans(t.db)).length).toBe(1);
    expect(await getPlanningRequest(t.db, requestId)).toMatchObject({
      status: "completed",
      assignedAgent: "p2",
    });
  });

  it("a planner whose request was taken back cannot fail it under its new planner", async () => {
    const requestId = await staleRequest();
    const late = await race(
      (tx) => claimPlanningRequests(tx, { agentId: "p2", staleAfterMs: 100 }),
      (db) => failPlanningRequest(db, { requestId, agentId: "p1", error: "gave up" }),
    );
    expect((late as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransitionError);
    expect(await getPlanningRequest(t.db, requestId)).toMatchObject({
      status: "assigned",
      assignedAgent: "p2",
    });
  });
});

describe.skipIf(testBackend !== "postgres")(
  "a plan's status under concurrent task changes (PostgreSQL)",
  () => {
    it("a requeue that waited for the plan's completion makes the plan executing again", async () => {
      await makeWorker(t.db);
      const plan = await startedPlan(t.db, {
        sub_tasks: [
          { id: "a", title: "A", priority: 9 },
          { id: "b", title: "B" },
        ],
      });
      const [a] = await claimTasks(t.db, { workerId: "w1", limit: 1 });
      await completeTask(t.db, { taskId: a!.task.id, token: a!.token });
      const [b] = await claimTasks(t.db, { workerId: "w1", limit: 1 });
      const requeue = await race(
        (tx) => completeTask(tx, { taskId: b!.task.id, token: b!.token }), // the plan's last task
        (db) => requeueTask(db, a!.task.id),
      );
      expect(requeue.status).toBe("fulfilled");
      expect((await getTask(t.db, a!.task.id))!.status).toBe("queued");
      expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("executing");
      expect((await checkDatabase(t.db)).planCounterMismatches).toBe(0);
    });
  },
);
