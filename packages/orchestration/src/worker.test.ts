import { MAX_CLAIM_LIMIT } from "@hive/models";
import { describe, expect, it } from "vitest";
import { claimTasks, hasClaimableTasks } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { ValidationError } from "./errors.ts";
import { getRuns } from "./runs.ts";
import { cancelTask, countTasksByStatus, createTask, createTasks, getTask } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { wakeOnlyWorker } from "./testing/wakeOnlyWorker.ts";
import { PermanentError, Worker, type WorkerOptions } from "./worker.ts";
import { getWorker, unregisterWorker } from "./workers.ts";

const t = useTempDatabase();

/** Starts a worker on the test database; the test stops it (the suite fails if one is left running). */
async function started(options: Omit<WorkerOptions, "db">): Promise<Worker> {
  return new Worker({ leaseMs: 2000, pollMaxMs: 50, reaperIntervalMs: 0, ...options, db: t.db }).start();
}

/**
 * Waits until no task is in progress (every outcome recorded) nor claimable (a task not claimed
 * yet counted as settled, and a stop hands what it claims meanwhile back unstarted), then stops
 * the worker.
 */
async function settle(w: Worker): Promise<void> {
  try {
    await waitUntil(
      async () => (await countTasksByStatus(t.db)).in_progress === 0 && !(await hasClaimableTasks(t.db)),
      "every outcome recorded",
      5000,
    );
  } finally {
    await w.stop({ timeoutMs: 1000 });
  }
}

describe("Worker runtime", () => {
  it("is woken by a commit on another connection, not by its next poll (SQLite: data_version; PostgreSQL: NOTIFY)", async () => {
    // Polls at most once a minute: only a wake-up can make it pick the task up before the deadline.
    const w = await wakeOnlyWorker(t.temp);
    try {
      await sleep(300); // its first probe found nothing; it now waits for a minute
      const task = await createTask(t.db, { title: "wake up", taskType: "t" });
      await waitUntil(
        async () => (await getTask(t.db, task.id))!.status === "completed",
        "the task completed by the woken worker",
        20_000,
      );
      expect(w.ran).toEqual([task.id]);
    } finally {
      await w.stop();
    }
  });

  it("runs every task once with at most `concurrency` handlers at a time, storing results and logs", async () => {
    const tasks = await createTasks(
      t.db,
      Array.from({ length: 24 }, (_, i) => ({ title: `t${i}`, taskType: "noop", payload: { i } })),
    );
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const w = await started({
      role: "test",
      concurrency: 4,
      handler: async ({ task, log }) => {
        seen.push(task.id);
        running++;
        peak = Math.max(peak, running);
        log(`working on ${task.title}`);
        await sleep(15);
        running--;
        return { double: (task.payload!.i as number) * 2 };
      },
    });
    await waitUntil(async () => (await countTasksByStatus(t.db)).completed === 24, "all completed");
    await w.stop();
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
    expect(seen.sort()).toEqual(tasks.map((x) => x.id).sort());
    const one = (await getTask(t.db, tasks[5]!.id))!;
    expect(one.result).toEqual({ double: 10 });
    const runs = await getRuns(t.db, one.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: "completed", outputLog: "working on t5", workerId: w.id });
  });

  it("holds more than one claim may hand out (concurrency + prefetch > MAX_CLAIM_LIMIT) and runs them all", async () => {
    // 8 + 1000 = 1008 held at most: its claims must be split, not refused as invalid input.
    const n = MAX_CLAIM_LIMIT + 200;
    await createTasks(
      t.db,
      Array.from({ length: n }, (_, i) => ({ title: `t${i}`, taskType: "noop" })),
    );
    const seen = new Set<string>();
    let maxHeld = 0;
    const w = await started({
      role: "test",
      concurrency: 8,
      prefetch: MAX_CLAIM_LIMIT,
      handler: async ({ task }) => {
        seen.add(task.id);
        maxHeld = Math.max(maxHeld, w.holding);
        // The first handlers hold their slots long enough for the claim after the first (the
        // buffer still has room) to land before any outcome is committed and let go.
        await sleep(seen.size <= 8 ? 200 : 1);
      },
    });
    await waitUntil(async () => (await countTasksByStatus(t.db)).completed === n, "all completed", 30_000);
    await w.stop();
    expect(seen.size).toBe(n);
    expect(maxHeld).toBeGreaterThan(MAX_CLAIM_LIMIT);
    expect(w.stats).toMatchObject({ completed: n, lostLeases: 0 });
  });

  it("with several commit lanes, never holds more than concurrency + prefetch, runs each task once, and a stop mid-stream loses none", async () => {
    // Tasks arrive while it runs, so its claims often find fewer than they ask for: the case
    // where lanes claiming at once could take more than the free slots.
    const n = 1500;
    const runs = new Map<string, number>();
    let maxHeld = 0;
    const w = await started({
      role: "test",
      concurrency: 4,
      prefetch: 60,
      commitLanes: 3,
      handler: async ({ task }) => {
        runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
        maxHeld = Math.max(maxHeld, w.holding);
        if (runs.size % 5 === 0) await sleep(1);
      },
    });
    const sample = setInterval(() => {
      maxHeld = Math.max(maxHeld, w.holding);
    }, 1);
    const ids: string[] = [];
    try {
      for (let i = 0; i < n; i += 30) {
        const made = await createTasks(
          t.db,
          Array.from({ length: 30 }, (_, k) => ({ title: `t${i + k}`, taskType: "noop" })),
        );
        ids.push(...made.map((x) => x.id));
        if (i % 90 === 0) await sleep(2);
      }
      await waitUntil(async () => runs.size >= n / 2, "half of them run", 30_000);
      await w.stop({ timeoutMs: 5000 });
    } finally {
      clearInterval(sample);
    }
    const counts = await countTasksByStatus(t.db);
    // Every task is either done (and ran once) or queued again, never left in progress.
    expect(counts.in_progress).toBe(0);
    expect(counts.completed + counts.queued).toBe(n);
    expect(counts.completed).toBe(w.stats.completed);
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    expect(maxHeld).toBeLessThanOrEqual(64);
    // A second worker finishes the rest, each of those once too.
    const w2 = await started({
      role: "test",
      concurrency: 4,
      prefetch: 60,
      commitLanes: 2,
      handler: async ({ task }) => {
        runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
      },
    });
    await waitUntil(async () => (await countTasksByStatus(t.db)).completed === n, "all completed", 30_000);
    await settle(w2);
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
    expect(new Set(runs.keys())).toEqual(new Set(ids));
  });

  it("with several commit lanes and a full queue, every group commit refills the slots it frees (held stays at concurrency + prefetch)", async () => {
    // Each lane's commit must claim for its own batch even while another lane's claim is in
    // flight; when it did not, the worker held two thirds less and ran empty between commits.
    const n = 3000;
    const capacity = 64;
    await createTasks(
      t.db,
      Array.from({ length: n }, (_, k) => ({ title: `t${k}`, taskType: "noop" })),
    );
    let ran = 0;
    let minHeld = Number.POSITIVE_INFINITY;
    const w = await started({
      role: "test",
      concurrency: 4,
      prefetch: capacity - 4,
      commitLanes: 3,
      handler: () => {
        ran++;
        // Past the first claim, and while more than a claim's worth is still queued.
        if (ran > capacity && w.stats.claimed < n - capacity) minHeld = Math.min(minHeld, w.holding);
      },
    });
    await waitUntil(async () => (await countTasksByStatus(t.db)).completed === n, "all completed", 30_000);
    await settle(w);
    expect(ran).toBe(n);
    expect(minHeld).toBe(capacity);
  });

  it("dispatches by task type and claims only the types it has handlers for", async () => {
    const a = await createTask(t.db, { title: "a", taskType: "alpha" });
    const b = await createTask(t.db, { title: "b", taskType: "beta" });
    const w = await started({ role: "test", handler: { alpha: () => "from alpha" } });
    await waitUntil(async () => (await getTask(t.db, a.id))!.status === "completed", "alpha done");
    await sleep(100);
    await w.stop();
    expect((await getTask(t.db, a.id))!.result).toBe("from alpha");
    expect((await getTask(t.db, b.id))!.status).toBe("queued");
  });

  it("retries a throwing handler with backoff, then fails it for good; PermanentError fails at once", async () => {
    const flaky = await createTask(t.db, { title: "flaky", taskType: "flaky", maxRetries: 2 });
    const bad = await createTask(t.db, { title: "bad", taskType: "bad", maxRetries: 5 });
    const w = await started({
      role: "test",
      backoff: { baseDelayMs: 20, maxDelayMs: 50, jitter: 0 },
      handler: {
        flaky: ({ attempt }) => {
          throw new Error(`boom ${attempt}`);
        },
        bad: () => {
          throw new PermanentError("malformed payload");
        },
      },
    });
    await waitUntil(async () => (await countTasksByStatus(t.db)).failed === 2, "both failed");
    await w.stop();
    const f = (await getTask(t.db, flaky.id))!;
    expect(f.attempts).toBe(3);
    expect(f.lastError).toBe("boom 3");
    expect((await getRuns(t.db, flaky.id)).map((r) => r.errorMessage)).toEqual([
      "boom 1",
      "boom 2",
      "boom 3",
    ]);
    const b = (await getTask(t.db, bad.id))!;
    expect(b.attempts).toBe(1);
    expect(b.lastError).toBe("malformed payload");
  });

  it("stores a handler's result as JSON would (undefined fields dropped, a Date as its string), without holding up the other outcomes", async () => {
    const good = await createTask(t.db, { title: "good", taskType: "t" });
    const loose = await createTask(t.db, { title: "loose", taskType: "t" });
    const big = await createTask(t.db, { title: "big", taskType: "t" });
    const w = await started({
      role: "test",
      concurrency: 3,
      handler: ({ task }) =>
        task.title === "good"
          ? { ok: true }
          : task.title === "loose"
            ? ({ note: undefined, at: new Date(0) } as never)
            : ({ n: 1n } as never),
    });
    await settle(w);
    expect((await getTask(t.db, good.id))!).toMatchObject({ status: "completed", result: { ok: true } });
    expect((await getTask(t.db, loose.id))!).toMatchObject({
      status: "completed",
      result: { at: "1970-01-01T00:00:00.000Z" },
    });
    // Not JSON at all: failed for good (a retry would return the same), with the reason.
    expect((await getTask(t.db, big.id))!).toMatchObject({ status: "failed", attempts: 1 });
    expect((await getTask(t.db, big.id))!.lastError).toMatch(/not JSON/);
  });

  it("records a failure whose error failTask would refuse (empty, too long) without holding up the other outcomes", async () => {
    const empty = await createTask(t.db, { title: "empty", taskType: "t", maxRetries: 0 });
    const huge = await createTask(t.db, { title: "huge", taskType: "t", maxRetries: 0 });
    const good = await createTask(t.db, { title: "good", taskType: "t" });
    const w = await started({
      role: "test",
      concurrency: 3,
      handler: ({ task }) => {
        if (task.title === "empty") throw "";
        if (task.title === "huge") throw new Error("x".repeat(300_000));
        return { ok: true };
      },
    });
    await settle(w);
    expect((await getTask(t.db, good.id))!.status).toBe("completed");
    const e = (await getTask(t.db, empty.id))!;
    expect(e.status).toBe("failed");
    expect(e.lastError!.length).toBeGreaterThan(0);
    const h = (await getTask(t.db, huge.id))!;
    expect(h.status).toBe("failed");
    expect(h.lastError!.length).toBeLessThanOrEqual(100_000);
    expect(h.lastError!.startsWith("xxx")).toBe(true);
  });

  it("aborts a running handler's signal when its task is cancelled", async () => {
    const task = await createTask(t.db, { title: "long", taskType: "long" });
    let aborted = false;
    const w = await started({
      role: "test",
      leaseMs: 600,
      heartbeatMs: 50,
      handler: ({ signal }) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    });
    await waitUntil(async () => (await getTask(t.db, task.id))!.status === "in_progress", "task running");
    await cancelTask(t.db, task.id);
    await waitUntil(async () => aborted, "handler aborted");
    await w.stop();
    expect((await getTask(t.db, task.id))!.status).toBe("cancelled");
  });

  it("drops a prefetched task cancelled before it started, and never runs its handler", async () => {
    const first = await createTask(t.db, { title: "first", taskType: "t", priority: 2 });
    const second = await createTask(t.db, { title: "second", taskType: "t", priority: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const ran: string[] = [];
    const w = await started({
      role: "test",
      concurrency: 1,
      prefetch: 1,
      heartbeatMs: 50,
      handler: async ({ task }) => {
        ran.push(task.title);
        if (task.id === first.id) await gate;
      },
    });
    try {
      await waitUntil(async () => ran.length === 1 && w.holding === 2, "first running, second buffered");
      await cancelTask(t.db, second.id);
      await waitUntil(async () => w.holding === 1, "the cancelled task dropped from the buffer", 3000);
      release();
      await waitUntil(async () => (await getTask(t.db, first.id))!.status === "completed", "first done");
      await sleep(100);
    } finally {
      release();
      await w.stop({ timeoutMs: 1000 });
    }
    expect(ran).toEqual(["first"]);
  });

  it("on stop, finishes what runs, hands back what was prefetched unstarted, and goes offline", async () => {
    const tasks = await createTasks(
      t.db,
      Array.from({ length: 6 }, (_, i) => ({ title: `t${i}`, taskType: "slow" })),
    );
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let started_ = 0;
    const w = await started({
      role: "test",
      concurrency: 1,
      prefetch: 3,
      handler: async () => {
        started_++;
        await gate;
        return "done";
      },
    });
    await waitUntil(async () => started_ === 1 && w.holding === 4, "one running, others buffered");
    const stopping = w.stop({ timeoutMs: 10_000 });
    await sleep(50);
    release();
    await stopping;
    const states = await Promise.all(tasks.map(async (x) => (await getTask(t.db, x.id))!));
    const completed = states.filter((s) => s.status === "completed");
    const queued = states.filter((s) => s.status === "queued");
    expect(completed).toHaveLength(1);
    expect(queued).toHaveLength(5);
    for (const q of queued) {
      expect(q.attempts).toBe(0);
      expect(await getRuns(t.db, q.id)).toEqual([]);
    }
    expect((await getWorker(t.db, w.id))!.status).toBe("offline");
    // A handed-back task is claimable by the next worker at once.
    await expect(claimTasks(t.db, { workerId: w.id, limit: 10 })).resolves.toHaveLength(5);
  });

  it("stop() called again while stopping resolves only once the worker has stopped", async () => {
    const task = await createTask(t.db, { title: "slow", taskType: "slow" });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = await started({ role: "test", handler: () => gate.then(() => "done") });
    await waitUntil(async () => (await getTask(t.db, task.id))!.status === "in_progress", "running");
    const first = w.stop({ timeoutMs: 10_000 });
    let secondDone = false;
    const second = w.stop().then(() => {
      secondDone = true;
    });
    await sleep(100);
    expect(secondDone).toBe(false);
    release();
    await Promise.all([first, second]);
    expect((await getTask(t.db, task.id))!.status).toBe("completed");
    expect((await getWorker(t.db, w.id))!.status).toBe("offline");
  });

  it("aborts handlers still running when the drain timeout passes, and their tasks go back for a retry", async () => {
    const task = await createTask(t.db, { title: "stuck", taskType: "stuck" });
    const w = await started({
      role: "test",
      handler: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("stopped")))),
    });
    await waitUntil(async () => (await getTask(t.db, task.id))!.status === "in_progress", "running");
    await w.stop({ timeoutMs: 100 });
    const after = (await getTask(t.db, task.id))!;
    expect(after.status).toBe("queued");
    expect(after.lastError).toBe("stopped");
  });

  it("records outcomes when its worker row is deleted while it runs, registers again and goes on claiming", async () => {
    const [a, b] = await createTasks(t.db, [
      { title: "a", taskType: "t" },
      { title: "b", taskType: "t" },
    ]);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const lines = { warn: [] as string[], error: [] as string[] };
    const w = await started({
      role: "test",
      concurrency: 1,
      prefetch: 0,
      pollMaxMs: 20,
      logger: {
        info() {},
        warn: (_o, m) => lines.warn.push(String(m)),
        error: (_o, m) => lines.error.push(String(m)),
      },
      handler: async ({ task }) => {
        if (task.id === a!.id) await gate;
        return "ok";
      },
    });
    try {
      await waitUntil(async () => (await getTask(t.db, a!.id))!.status === "in_progress", "a running");
      expect(await unregisterWorker(t.db, w.id)).toBe(true);
      // The claim riding a's outcome finds no worker row: the outcome is recorded without it.
      release();
      await waitUntil(async () => (await getTask(t.db, b!.id))!.status === "completed", "b completed");
      expect((await getTask(t.db, a!.id))!.result).toBe("ok");
      expect((await getRuns(t.db, b!.id)).map((r) => r.workerId)).toEqual([w.id]);
      expect((await getWorker(t.db, w.id))?.status).toBe("active");
      expect(lines.warn.filter((m) => m.includes("registered again")).length).toBeGreaterThanOrEqual(1);
      expect(lines.error).toEqual([]);
    } finally {
      await w.stop();
    }
    expect((await getWorker(t.db, w.id))?.status).toBe("offline");
  });

  it("an idle worker whose row was deleted registers again instead of failing every poll", async () => {
    const errors: string[] = [];
    const warns: string[] = [];
    const w = await started({
      role: "test",
      pollMaxMs: 20,
      logger: { info() {}, warn: (_o, m) => warns.push(String(m)), error: (_o, m) => errors.push(String(m)) },
      handler: () => "done",
    });
    try {
      await sleep(100);
      expect(await unregisterWorker(t.db, w.id)).toBe(true);
      const task = await createTask(t.db, { title: "after", taskType: "t" });
      await waitUntil(async () => (await getTask(t.db, task.id))!.status === "completed", "task completed");
      await sleep(200); // several polls later: still no failed claims logged
      expect(errors).toEqual([]);
      expect(warns.filter((m) => m.includes("registered again"))).toHaveLength(1);
      expect((await getWorker(t.db, w.id))?.role).toBe("test");
    } finally {
      await w.stop();
    }
  });

  it("stops within its timeout when its database is gone, leaving the unrecorded task to its lease", async () => {
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    const own = await openDatabase({ ...t.temp.openOptions, migrate: false });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const w = await new Worker({
      db: own,
      role: "test",
      concurrency: 1,
      prefetch: 0,
      leaseMs: 2000,
      pollMaxMs: 50,
      reaperIntervalMs: 0,
      handler: async () => {
        await gate;
        return "ok";
      },
    }).start();
    await waitUntil(async () => (await getTask(t.db, task.id))!.status === "in_progress", "the task running");
    await closeDatabase(own); // every write of the worker fails from now on
    release();
    const began = Date.now();
    await w.stop({ timeoutMs: 300 });
    expect(Date.now() - began).toBeLessThan(5000);
    // Not recorded, not lost: still in progress under a lease that will expire.
    expect((await getTask(t.db, task.id))!.status).toBe("in_progress");
  });

  it("renews the lease when a handler calls its context's heartbeat (destructured, as handlers do)", async () => {
    const task = await createTask(t.db, { title: "long", taskType: "t" });
    const seen: number[] = [];
    const w = await started({
      role: "test",
      handler: async ({ task: mine, heartbeat, token, attempt }) => {
        expect([token, attempt]).toEqual([1, 1]);
        seen.push((await getTask(t.db, mine.id))!.leaseExpiresAt!);
        await sleep(30);
        await heartbeat();
        seen.push((await getTask(t.db, mine.id))!.leaseExpiresAt!);
      },
    });
    try {
      await waitUntil(async () => (await getTask(t.db, task.id))!.status === "completed", "completed");
      expect(seen).toHaveLength(2);
      expect(seen[1]!).toBeGreaterThan(seen[0]!);
    } finally {
      await w.stop();
    }
  });

  it("refuses invalid options with a ValidationError naming the field", () => {
    expect(() => new Worker({ db: t.db, role: "r", concurrency: 0, handler: () => null })).toThrow(
      ValidationError,
    );
    expect(() => new Worker({ db: t.db, role: "", handler: () => null })).toThrow(/role/);
  });
});
