import type { HiveEvent } from "@hive/models";
import { describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "./db.ts";
import type { Database } from "./handle.ts";
import { getRuns } from "./runs.ts";
import { createTask, getTask } from "./tasks.ts";
import { sleep, useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { Worker, type WorkerLogger, type WorkerOptions } from "./worker.ts";
import { getWorker } from "./workers.ts";

const t = useTempDatabase();

/** A logger keeping every warning and error, to prove nothing runs (and fails) after a stop. */
function recordingLogger(): WorkerLogger & { problems: string[] } {
  const problems: string[] = [];
  return {
    problems,
    info() {},
    warn: (_o, msg) => problems.push(`warn: ${msg}`),
    error: (_o, msg) => problems.push(`error: ${msg}`),
  };
}

/**
 * A worker on a handle of its own (the test closes it, as `await worker.stop(); await hive.close()`
 * does), inspected through the test's handle.
 */
async function ownHandleWorker(options: Omit<WorkerOptions, "db">): Promise<{ w: Worker; wdb: Database }> {
  const wdb = await openDatabase(t.temp.openOptions);
  return { w: new Worker({ leaseMs: 2000, pollMaxMs: 50, reaperIntervalMs: 0, ...options, db: wdb }), wdb };
}

describe("Worker stop", () => {
  it("writes nothing after stop() resolves: a handler outliving the timeout is abandoned to its lease", async () => {
    const task = await createTask(t.db, { title: "stubborn", taskType: "s" });
    let finished = false;
    const logger = recordingLogger();
    const { w, wdb } = await ownHandleWorker({
      role: "stubborn",
      logger,
      // Ignores its signal and outlives the stop's timeout.
      handler: async () => {
        await sleep(600);
        finished = true;
        return "late";
      },
    });
    try {
      await w.start();
      await waitUntil(async () => (await getTask(t.db, task.id))!.status === "in_progress", "task claimed");
      await w.stop({ timeoutMs: 50 });
      expect((await getWorker(t.db, w.id))!.status).toBe("offline");
      await waitUntil(async () => finished, "the abandoned handler finished", 5000);
      await sleep(300); // time for a late commit, had one been made
      const after = (await getTask(t.db, task.id))!;
      expect(after.status).toBe("in_progress"); // its lease expires and a reaper requeues it
      expect(after.result ?? null).toBeNull();
      expect((await getRuns(t.db, task.id)).map((r) => r.status)).toEqual(["running"]);
      expect((await getWorker(t.db, w.id))!.status).toBe("offline");
      expect(w.holding).toBe(0);
    } finally {
      await w.stop({ timeoutMs: 50 });
      await closeDatabase(wdb);
    }
  });

  it("schedules nothing after stop() resolves: an abandoned handler's late result starts no retry loop on a closed handle", async () => {
    await createTask(t.db, { title: "stubborn", taskType: "s" });
    let finished = false;
    const logger = recordingLogger();
    const { w, wdb } = await ownHandleWorker({
      role: "stubborn",
      logger,
      handler: async () => {
        await sleep(400);
        finished = true;
        return "late";
      },
    });
    try {
      await w.start();
      await waitUntil(async () => w.stats.claimed === 1, "task claimed");
      await w.stop({ timeoutMs: 50 });
      await closeDatabase(wdb);
      logger.problems.length = 0;
      await waitUntil(async () => finished, "the abandoned handler finished", 5000);
      await sleep(350); // a retry loop logs every 100 ms
      // One line says the late outcome was dropped; nothing tries to write it.
      expect(logger.problems).toEqual([
        expect.stringMatching(/^warn: a handler finished after the worker stopped/),
      ]);
    } finally {
      await w.stop({ timeoutMs: 50 });
      await closeDatabase(wdb);
    }
  });

  for (const when of ["at once", "once registered"] as const) {
    it(`leaves the worker stopped when stop() is called while start() runs (${when}): no intervals, row offline`, async () => {
      const logger = recordingLogger();
      let ran = 0;
      const { w, wdb } = await ownHandleWorker({
        role: "racing",
        heartbeatMs: 50,
        reaperIntervalMs: 50,
        logger,
        handler: () => {
          ran++;
        },
      });
      try {
        let s: Promise<void> | undefined;
        if (when === "once registered") {
          // Published after register()'s commit, before start() goes on to install its loops.
          const off = wdb.events.on("worker.registered", () => {
            off();
            s = w.stop({ timeoutMs: 1000 });
          });
          await w.start();
        } else {
          const p = w.start();
          s = w.stop({ timeoutMs: 1000 });
          await expect(p).resolves.toBe(w);
        }
        await s;
        expect((await getWorker(t.db, w.id))!.status).toBe("offline");
        await sleep(300); // six heartbeat periods
        expect((await getWorker(t.db, w.id))!.status).toBe("offline");
        const task = await createTask(t.db, { title: "x", taskType: "x" });
        await sleep(200);
        expect((await getTask(t.db, task.id))!.status).toBe("queued");
        expect(ran).toBe(0);
        await closeDatabase(wdb);
        logger.problems.length = 0;
        await sleep(300);
        expect(logger.problems).toEqual([]);
      } finally {
        await w.stop({ timeoutMs: 50 });
        await closeDatabase(wdb);
      }
    });
  }

  it("emits worker.offline when stop() marks the worker offline", async () => {
    const events: HiveEvent[] = [];
    const { w, wdb } = await ownHandleWorker({ role: "evented", handler: () => {} });
    const off = wdb.events.on("worker.offline", (e) => events.push(e));
    try {
      await w.start();
      expect(events).toEqual([]);
      await w.stop({ timeoutMs: 1000 });
      expect(events).toEqual([{ type: "worker.offline", workerId: w.id }]);
    } finally {
      off();
      await w.stop({ timeoutMs: 50 });
      await closeDatabase(wdb);
    }
  });
});
