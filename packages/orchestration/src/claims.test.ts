import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";
import {
  claimTasks,
  completeTask,
  completeTasks,
  failTask,
  hasClaimableTasks,
  heartbeatTask,
} from "./claims.ts";
import {
  HiveError,
  LeaseLostError,
  TaskNotFoundError,
  ValidationError,
  WorkerNotFoundError,
} from "./errors.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { getRuns } from "./runs.ts";
import { cancelTask, createTask, createTasks, getTask, getTasksByStatus, requeueTask } from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { transaction } from "./tx.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

describe("claimTasks", () => {
  it("hands out the highest priority first, then the oldest", async () => {
    await makeWorker(t.db);
    const a = await createTask(t.db, { title: "a", taskType: "t", priority: 1 });
    await sleep(2);
    const b = await createTask(t.db, { title: "b", taskType: "t", priority: 5 });
    await sleep(2);
    const c = await createTask(t.db, { title: "c", taskType: "t", priority: 5 });
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 3 });
    expect(claimed.map((x) => x.task.id)).toEqual([b.id, c.id, a.id]);
  });

  it("opens one run per claimed task, its id a distinct UUID v7 of the claim's time", async () => {
    await makeWorker(t.db);
    await createTasks(
      t.db,
      Array.from({ length: 300 }, (_, i) => ({ title: `t${i}`, taskType: "t" })),
    );
    const before = Date.now();
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 300 });
    const after = Date.now();
    expect(claimed).toHaveLength(300);
    const ids = claimed.map((c) => c.runId);
    expect(new Set(ids).size).toBe(300);
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
      expect(ms).toBeGreaterThanOrEqual(before);
      expect(ms).toBeLessThanOrEqual(after);
    }
    const [first] = claimed;
    const runs = await getRuns(t.db, first!.task.id);
    expect(runs.map((r) => [r.id, r.status])).toEqual([[first!.runId, "running"]]);
  });

  it("gives a task only to workers whose capabilities cover its required skills", async () => {
    await makeWorker(t.db, "weak", ["python"]);
    await makeWorker(t.db, "strong", ["python", "gpu", "docker"]);
    const task = await createTask(t.db, { title: "train", taskType: "t", requiredSkills: ["python", "gpu"] });
    expect(await hasClaimableTasks(t.db, undefined, ["python"])).toBe(false);
    expect(await hasClaimableTasks(t.db, ["t"], ["gpu", "python"])).toBe(true);
    expect(await hasClaimableTasks(t.db)).toBe(true);
    expect(await claimTasks(t.db, { workerId: "weak", capabilities: ["python"] })).toHaveLength(0);
    const got = await claimTasks(t.db, { workerId: "strong", capabilities: ["python", "gpu", "docker"] });
    expect(got.map((x) => x.task.id)).toEqual([task.id]);
  });

  it("matches required skills against the worker's registered capabilities; capabilities in the call only narrow them", async () => {
    await makeWorker(t.db, "gpu-box", ["python", "gpu"]);
    await makeWorker(t.db, "plain", []);
    const train = await createTask(t.db, { title: "train", taskType: "t", requiredSkills: ["gpu"] });
    // Claiming with skills never registered hands out nothing that needs them.
    expect(await claimTasks(t.db, { workerId: "plain", capabilities: ["gpu"] })).toEqual([]);
    // Narrowed below what the task needs: nothing either.
    expect(await claimTasks(t.db, { workerId: "gpu-box", capabilities: ["python"] })).toEqual([]);
    // No capabilities in the call: the registered ones.
    const got = await claimTasks(t.db, { workerId: "gpu-box" });
    expect(got.map((c) => c.task.id)).toEqual([train.id]);
  });

  it("filters by task type and honours the limit", async () => {
    await makeWorker(t.db);
    for (let i = 0; i < 5; i++) await createTask(t.db, { title: `a${i}`, taskType: "a" });
    await createTask(t.db, { title: "b", taskType: "b" });
    expect(
      (await claimTasks(t.db, { workerId: "w1", taskTypes: ["b"], limit: 10 })).map((x) => x.task.title),
    ).toEqual(["b"]);
    expect(await claimTasks(t.db, { workerId: "w1", limit: 2 })).toHaveLength(2);
  });

  it("refuses an unregistered worker", async () => {
    await createTask(t.db, { title: "a", taskType: "t" });
    await expect(claimTasks(t.db, { workerId: "ghost" })).rejects.toBeInstanceOf(WorkerNotFoundError);
    expect((await getTasksByStatus(t.db, "queued")).length).toBe(1);
  });

  it("sets a lease, a new fencing token, the attempt, and opens a run", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const before = Date.now();
    const [c] = await claimTasks(t.db, { workerId: "w1", leaseMs: 5000 });
    expect(c!.task).toMatchObject({
      status: "in_progress",
      attempts: 1,
      leaseToken: 1,
      assignedWorker: "w1",
    });
    expect(c!.task.leaseExpiresAt!).toBeGreaterThanOrEqual(before + 5000);
    const runs = await getRuns(t.db, task.id);
    expect(runs).toMatchObject([{ runNumber: 1, status: "running", workerId: "w1" }]);
    expect((await getWorker(t.db, "w1"))!.currentTaskId).toBe(task.id);
    await completeTask(t.db, { taskId: task.id, token: c!.token });
    expect((await getWorker(t.db, "w1"))!.currentTaskId).toBeNull();
  });

  it("returns each claimed task exactly as the claim stored it, whatever its fields hold", async () => {
    await makeWorker(t.db, "w1", ["gpu", "ß-skill"]);
    const odd = 'quote " backslash \\ newline \n tab \t line-sep \u2028 emoji 🐝 nul-free ünïcödé';
    const [a, b] = await createTasks(t.db, [
      {
        title: odd,
        taskType: "t",
        description: odd,
        priority: -7,
        currentPhase: "phase ✓",
        workflow: { steps: ["a", odd], n: 1.5 },
        payload: { text: odd, big: 2 ** 53 - 1, neg: -0.25, nested: { list: [null, true, { x: "y" }] } },
        tags: ["tag one", odd],
        requiredSkills: ["gpu", "ß-skill"],
        maxRetries: 5,
        dueDate: 1_900_000_000_000,
        idempotencyKey: "key-1",
      },
      { title: "plain", taskType: "t" },
    ]);
    // A task claimed before (failed, requeued): its token and run count carried from the first claim.
    const [first] = await claimTasks(t.db, { workerId: "w1", limit: 1 });
    expect(first!.task.id).toBe(b!.id); // priority 1 before -7
    await failTask(t.db, { taskId: b!.id, token: first!.token, error: "boom", retryable: false });
    await requeueTask(t.db, b!.id);
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 10, leaseMs: 7000 });
    expect(claimed.map((c) => c.task.id).sort()).toEqual([a!.id, b!.id].sort());
    for (const c of claimed) {
      expect(c.task).toEqual(await getTask(t.db, c.task.id));
      expect(c.token).toBe(c.task.leaseToken);
    }
    const again = claimed.find((c) => c.task.id === b!.id)!.task;
    expect(again).toMatchObject({
      leaseToken: 2,
      status: "in_progress",
      assignedWorker: "w1",
      cancelRequested: false,
    });
    expect(claimed.find((c) => c.task.id === a!.id)!.task.payload).toEqual({
      text: odd,
      big: 2 ** 53 - 1,
      neg: -0.25,
      nested: { list: [null, true, { x: "y" }] },
    });
  });

  it("never hands one task to two claims", async () => {
    await makeWorker(t.db, "w1");
    await makeWorker(t.db, "w2");
    for (let i = 0; i < 50; i++) await createTask(t.db, { title: `t${i}`, taskType: "t" });
    const [x, y] = await Promise.all([
      claimTasks(t.db, { workerId: "w1", limit: 30 }),
      claimTasks(t.db, { workerId: "w2", limit: 30 }),
    ]);
    const ids = [...x!, ...y!].map((c) => c.task.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
  });

  it("fails for good a claimed task whose stored row is not readable, and hands out the others", async () => {
    await makeWorker(t.db);
    const bad = await createTask(t.db, { title: "bad", taskType: "t", priority: 9, payload: { n: 1 } });
    const good = await createTask(t.db, { title: "good", taskType: "t", payload: { n: 2 } });
    await transaction(t.db, async (tx) => {
      await tx._tx.ex.run("UPDATE tasks SET payload = ? WHERE id = ?", ["{not json", bad.id]);
    });
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 5 });
    expect(claimed.map((c) => c.task.id)).toEqual([good.id]);
    const after = await getTaskRow(bad.id);
    expect(after.status).toBe("failed");
    expect(after.last_error).toMatch(new RegExp(`stored task "${bad.id}" is malformed: payload`));
    const runs = await getRuns(t.db, bad.id);
    expect(runs.map((r) => r.status)).toEqual(["failed"]);
    // Nothing is left for a later claim to trip on.
    expect(await claimTasks(t.db, { workerId: "w1", limit: 5 })).toEqual([]);
  });
});

/** A task's status and last error read without parsing its JSON columns. */
async function getTaskRow(id: string): Promise<{ status: string; last_error: string | null }> {
  return transaction(t.db, async (tx) => {
    const row = await tx._tx.ex.get<{ status: string; last_error: string | null }>(
      "SELECT status, last_error FROM tasks WHERE id = ?",
      [id],
    );
    return row!;
  });
}

describe("leases and fencing", () => {
  it("rejects a completion with a stale token and changes nothing", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    const err = await completeTask(t.db, { taskId: task.id, token: c!.token + 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(LeaseLostError);
    expect((await getTask(t.db, task.id))!.status).toBe("in_progress");
    await expect(completeTask(t.db, { taskId: "nope", token: 1 })).rejects.toBeInstanceOf(TaskNotFoundError);
  });

  it("extends the lease on heartbeat", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: "w1", leaseMs: 1000 });
    const r = await heartbeatTask(t.db, { taskId: task.id, token: c!.token, leaseMs: 60_000 });
    expect(r.cancelRequested).toBe(false);
    expect(r.leaseExpiresAt).toBeGreaterThan(c!.task.leaseExpiresAt! + 50_000);
  });

  it("tells the worker of a cancellation at its next heartbeat, and refuses its completion", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    await cancelTask(t.db, task.id);
    expect((await heartbeatTask(t.db, { taskId: task.id, token: c!.token })).cancelRequested).toBe(true);
    await expect(completeTask(t.db, { taskId: task.id, token: c!.token })).rejects.toThrow(/cancelled/);
    expect((await getRuns(t.db, task.id))[0]!.status).toBe("cancelled");
  });

  it("re-runs the task of a worker that stopped heartbeating, and rejects that worker's late completion", async () => {
    await makeWorker(t.db, "slow");
    await makeWorker(t.db, "fresh");
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [first] = await claimTasks(t.db, { workerId: "slow", leaseMs: 200 });
    await sleep(300);
    const reaped = await reapExpiredLeases(t.db);
    expect(reaped.requeued).toEqual([task.id]);
    expect((await reapExpiredLeases(t.db)).requeued).toEqual([]); // idempotent
    const [second] = await claimTasks(t.db, { workerId: "fresh" });
    expect(second!.token).toBeGreaterThan(first!.token);
    await expect(
      completeTask(t.db, { taskId: task.id, token: first!.token, result: "late" }),
    ).rejects.toBeInstanceOf(LeaseLostError);
    await completeTask(t.db, { taskId: task.id, token: second!.token, result: "ok" });
    const done = await getTask(t.db, task.id);
    expect(done).toMatchObject({ status: "completed", result: "ok", attempts: 2 });
    expect((await getRuns(t.db, task.id)).map((r) => r.status)).toEqual(["lost", "completed"]);
  });

  it("fails the task for good when its lease expires on the last attempt", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t", maxRetries: 0 });
    await claimTasks(t.db, { workerId: "w1", leaseMs: 100 });
    await sleep(150);
    expect((await reapExpiredLeases(t.db)).failed).toEqual([task.id]);
    expect((await getTask(t.db, task.id))!.status).toBe("failed");
  });

  it("reaps each expired lease once when reapers run at once, and leaves leases granted meanwhile", async () => {
    await makeWorker(t.db);
    await createTasks(
      t.db,
      Array.from({ length: 200 }, (_, i) => ({ title: `t${i}`, taskType: "t" })),
    );
    await claimTasks(t.db, { workerId: "w1", limit: 200, leaseMs: 100 });
    await sleep(130);
    let events = 0;
    const off = t.db.events.on("task.lease_expired", () => {
      events++;
    });
    // Six reapers and a claim with a long lease, all at once: every reaper that finds a task
    // the claim took back must leave it (its lease has not expired).
    const [claimedAgain, ...reaps] = await Promise.all([
      sleep(5).then(() => claimTasks(t.db, { workerId: "w1", limit: 200, leaseMs: 60_000 })),
      ...Array.from({ length: 6 }, () => reapExpiredLeases(t.db)),
    ]);
    off();
    const requeued = reaps.flatMap((r) => r.requeued);
    expect(new Set(requeued).size).toBe(requeued.length);
    expect(requeued.length).toBe(200);
    expect(events).toBe(200);
    for (const c of claimedAgain) {
      expect((await getTask(t.db, c.task.id))!.status).toBe("in_progress");
      expect((await getRuns(t.db, c.task.id)).map((r) => r.status)).toEqual(["lost", "running"]);
    }
  });

  it("marks silent workers offline", async () => {
    await makeWorker(t.db, "quiet");
    await sleep(120);
    expect((await reapExpiredLeases(t.db, { workerTimeoutMs: 100 })).offlineWorkers).toEqual(["quiet"]);
    expect((await getWorker(t.db, "quiet"))!.status).toBe("offline");
  });

  it("completes a batch where one lease was lost without undoing the others", async () => {
    await makeWorker(t.db);
    for (let i = 0; i < 3; i++) await createTask(t.db, { title: `t${i}`, taskType: "t" });
    const claimed = await claimTasks(t.db, { workerId: "w1", limit: 3 });
    const results = await completeTasks(
      t.db,
      claimed.map((c, i) => ({ taskId: c.task.id, token: i === 1 ? c.token + 7 : c.token })),
    );
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect((await getTasksByStatus(t.db, "completed")).length).toBe(2);
  });

  it("completes a task named twice in a batch with the current token, whatever the order, refusing the stale item", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const [first] = await claimTasks(t.db, { workerId: "w1", leaseMs: 200 });
    await sleep(300);
    await reapExpiredLeases(t.db);
    const [second] = await claimTasks(t.db, { workerId: "w1" });
    const results = await completeTasks(t.db, [
      { taskId: task.id, token: first!.token, result: "stale" },
      { taskId: task.id, token: second!.token, result: "current" },
    ]);
    expect(results.map((r) => r.ok)).toEqual([false, true]);
    expect(!results[0]!.ok && results[0]!.error).toBeInstanceOf(LeaseLostError);
    expect((await getTask(t.db, task.id))!).toMatchObject({ status: "completed", result: "current" });
    expect((await getRuns(t.db, task.id)).map((r) => r.status)).toEqual(["lost", "completed"]);
  });
});

describe("concurrent commands on one task", () => {
  it("a cancel racing the worker's completion or failure: one wins, the other is refused, nothing is half done", async () => {
    await makeWorker(t.db);
    for (let i = 0; i < 30; i++) {
      const a = await createTask(t.db, { title: `a${i}`, taskType: `race${i}`, maxRetries: 0 });
      const child = await createTask(t.db, { title: `c${i}`, taskType: "child", dependsOn: [a.id] });
      const [c] = await claimTasks(t.db, { workerId: "w1", taskTypes: [`race${i}`] });
      const viaFail = i % 2 === 1;
      const [cancel, worker] = await Promise.allSettled([
        cancelTask(t.db, a.id),
        viaFail
          ? failTask(t.db, { taskId: a.id, token: c!.token, error: "boom" })
          : completeTask(t.db, { taskId: a.id, token: c!.token }),
      ]);
      for (const r of [cancel, worker])
        if (r.status === "rejected") expect(r.reason).toBeInstanceOf(HiveError);
      expect([cancel.status, worker.status].filter((s) => s === "fulfilled")).toHaveLength(1);
      const end = (await getTask(t.db, a.id))!.status;
      const childEnd = (await getTask(t.db, child.id))!.status;
      if (cancel.status === "fulfilled") expect([end, childEnd]).toEqual(["cancelled", "upstream_failed"]);
      else if (viaFail) expect([end, childEnd]).toEqual(["failed", "upstream_failed"]);
      else expect([end, childEnd]).toEqual(["completed", "queued"]);
    }
  });
});

describe("retries", () => {
  it("computes exponential backoff within the jitter bounds", () => {
    expect(backoffDelay(1, { baseDelayMs: 100, jitter: 0 })).toBe(100);
    expect(backoffDelay(4, { baseDelayMs: 100, jitter: 0 })).toBe(800);
    expect(backoffDelay(30, { baseDelayMs: 100, maxDelayMs: 5000, jitter: 0 })).toBe(5000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(3, { baseDelayMs: 100, jitter: 0.5 });
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });

  it("refuses a bad attempt or retry policy with a ValidationError naming it", () => {
    expect(() => backoffDelay(Number.NaN)).toThrow(ValidationError);
    expect(() => backoffDelay(-1)).toThrow(/attempt/);
    expect(() => backoffDelay(1, { baseDelayMs: -5 })).toThrow(ValidationError);
    expect(() => backoffDelay(1, { jitter: 2 })).toThrow(/jitter/);
  });

  it("requeues with backoff while attempts remain, then fails for good (dead letter), and can be requeued", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "flaky", taskType: "t", maxRetries: 2 });
    const policy = { baseDelayMs: 50, jitter: 0 };
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [c] = await claimTasks(t.db, { workerId: "w1" });
      expect(c!.task.attempts).toBe(attempt);
      const before = Date.now();
      const after = await failTask(
        t.db,
        { taskId: task.id, token: c!.token, error: `boom ${attempt}` },
        { backoff: policy },
      );
      if (attempt < 3) {
        expect(after.status).toBe("queued");
        expect(after.runAt).toBeGreaterThanOrEqual(before + 50 * 2 ** (attempt - 1));
        expect(await claimTasks(t.db, { workerId: "w1" })).toHaveLength(0); // not before run_at
        await sleep(50 * 2 ** (attempt - 1) + 20);
      } else expect(after.status).toBe("failed");
    }
    expect((await getTasksByStatus(t.db, "failed")).map((x) => x.id)).toEqual([task.id]);
    expect((await getRuns(t.db, task.id)).map((r) => r.errorMessage)).toEqual(["boom 1", "boom 2", "boom 3"]);
    const again = await requeueTask(t.db, task.id);
    expect(again).toMatchObject({ status: "queued", attempts: 0 });
    // Fresh attempts, but the run history goes on: the next run is number 4, and it can finish.
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    expect(c!.task.attempts).toBe(1);
    await heartbeatTask(t.db, { taskId: task.id, token: c!.token, phase: "again" });
    await completeTask(t.db, { taskId: task.id, token: c!.token, result: "fine" });
    expect((await getRuns(t.db, task.id)).map((r) => [r.runNumber, r.status, r.phase])).toEqual([
      [1, "failed", "start"],
      [2, "failed", "start"],
      [3, "failed", "start"],
      [4, "completed", "again"],
    ]);
  });

  it("fails at once when the failure is not retryable", async () => {
    await makeWorker(t.db);
    const task = await createTask(t.db, { title: "bad input", taskType: "t", maxRetries: 5 });
    const [c] = await claimTasks(t.db, { workerId: "w1" });
    const after = await failTask(t.db, {
      taskId: task.id,
      token: c!.token,
      error: "bad payload",
      retryable: false,
    });
    expect(after).toMatchObject({ status: "failed", lastError: "bad payload" });
  });
});
