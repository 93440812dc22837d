import { mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { JsonValue } from "@hive/models";
import { createTask, getRuns, getTask, getWorker } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { useDaemons } from "./testing/daemons.ts";
import {
  isAlive,
  makeArtifact,
  makeControl,
  readTree,
  snapshotTree,
  targetState,
  taskReaching,
  useSandbox,
  waitUntil,
} from "./testing/fixtures.ts";

const s = useSandbox();
const daemons = useDaemons();

function startDeployer(workerId: string, extra: string[] = []) {
  return daemons.start([
    "--db",
    s.dbPath,
    "--root",
    s.root,
    "--worker-id",
    workerId,
    "--backoff-ms",
    "100",
    "--log-level",
    "debug",
    ...extra,
  ]);
}

const deployment = (title: string, payload: Record<string, JsonValue> | null, maxRetries = 3) =>
  createTask(s.db, { title, taskType: "deployment", payload, maxRetries });

const status = (taskId: string, wanted: string[]) => taskReaching(s.db, taskId, wanted);

const releaseOf = (t: { result: JsonValue | null }) => (t.result as { releaseId: string }).releaseId;

describe("the deployer daemon", () => {
  it("--once: fails bad payloads at once without retry, keeps deploying, writes nothing outside the root, exits offline when only tasks it cannot take are left", async () => {
    symlinkSync(s.outside, join(s.root, "escape"));
    mkdirSync(join(s.root, "app2"));
    symlinkSync(s.outside, join(s.root, "app2", "releases"));
    const outsideBefore = snapshotTree(s.outside);
    const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
    const bad: Array<[Record<string, JsonValue> | null, string | RegExp]> = [
      [
        { strategy: "local", artifact: join(s.dir, "missing"), target: "app" },
        `bad deployment payload: artifact: "${join(s.dir, "missing")}" is not an existing directory`,
      ],
      [
        { strategy: "rsync", artifact, target: "app" },
        'bad deployment payload: unknown deployment strategy "rsync" (known: local, command)',
      ],
      [
        { strategy: "local", artifact, target: "../outside" },
        "bad deployment payload: target: must not contain '..'",
      ],
      [
        { strategy: "local", artifact, target: s.outside },
        "bad deployment payload: target: must be relative to the deployer's root",
      ],
      [
        { strategy: "local", artifact, target: "escape/app" },
        'target "escape/app" resolves outside the deployment root',
      ],
      [
        { strategy: "local", artifact, target: "app2" },
        /app2\/releases is not a directory \(a symlink\?\); refusing to write through it$/,
      ],
      [
        { strategy: "command", commands: [{ argv: ["touch", "pwned"], cwd: "escape" }] },
        'cwd "escape" resolves outside the deployment root',
      ],
      [null, /^bad deployment payload: strategy: /],
    ];
    const badTasks = [];
    for (const [i, [payload]] of bad.entries()) badTasks.push(await deployment(`bad ${i}`, payload));
    const good = await deployment("good", { strategy: "local", artifact, target: "app" });
    // Ready but not for this deployer: --once must not wait for it forever.
    const foreign = await createTask(s.db, {
      title: "needs kubernetes",
      taskType: "deployment",
      requiredSkills: ["kubernetes"],
      payload: { strategy: "command", commands: [] },
    });

    const d = startDeployer("deployer-once", ["--once"]);
    expect(await d.exited).toEqual({ code: 0, signal: null });

    for (const [i, t] of badTasks.entries()) {
      const done = (await getTask(s.db, t.id))!;
      expect([done.status, done.attempts], `bad payload ${i}`).toEqual(["failed", 1]);
      const expected = bad[i]![1];
      if (typeof expected === "string") expect(done.lastError).toBe(expected);
      else expect(done.lastError).toMatch(expected);
      expect((await getRuns(s.db, t.id)).map((r) => [r.status, r.errorMessage])).toEqual([
        ["failed", done.lastError],
      ]);
    }
    const done = (await getTask(s.db, good.id))!;
    expect(done.status).toBe("completed");
    expect(targetState(join(s.root, "app")).current).toBe(`releases/${releaseOf(done)}`);
    expect(await getTask(s.db, foreign.id)).toMatchObject({ status: "queued", attempts: 0 });
    // Nothing outside the root changed; beside it there is only what the test made.
    expect(snapshotTree(s.outside)).toEqual(outsideBefore);
    expect(readdirSync(s.dir).filter((e) => !e.startsWith("hive.db"))).toEqual([
      "artifacts",
      "outside",
      "root",
    ]);
    expect(readTree(join(s.dir, "artifacts"))).toEqual({ "v1/index.html": "v1" });

    expect(await getWorker(s.db, "deployer-once")).toMatchObject({
      role: "deployer",
      status: "offline",
      capabilities: ["deploy", "local", "command"],
      metadata: { root: s.root, strategies: ["local", "command"] },
    });
    // Structured logs, scoped to the app, the worker and the task.
    expect(d.logs()).toContainEqual(
      expect.objectContaining({
        app: "ai-deployer",
        workerId: "deployer-once",
        taskId: good.id,
        msg: "deployed",
      }),
    );
  });

  it("heartbeats and renews the lease while a long deployment runs", async () => {
    const d = startDeployer("deployer-long", ["--lease-ms", "3000"]);
    const registered = await waitUntil(() => getWorker(s.db, "deployer-long"), "the deployer to register");
    expect(registered).toMatchObject({ role: "deployer", status: "active" });
    const control = makeControl(s, "long", { hold: true });
    const task = await deployment("long", {
      strategy: "local",
      artifact: makeArtifact(s, "v1", { "index.html": "v1" }),
      target: "app",
      healthCheck: { command: control.argv, timeoutMs: 120_000 },
    });
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    const first = (await getTask(s.db, task.id))!;
    const firstBeat = (await getWorker(s.db, "deployer-long"))!.lastHeartbeat;
    // Outlive the lease the task was claimed with: it must have been renewed, not reaped.
    await waitUntil(() => Date.now() > first.leaseExpiresAt! + 1000, "the first lease term to pass", 10_000);
    const later = (await getTask(s.db, task.id))!;
    expect(later).toMatchObject({ status: "in_progress", attempts: 1 });
    expect(later.leaseExpiresAt!).toBeGreaterThan(first.leaseExpiresAt!);
    expect((await getWorker(s.db, "deployer-long"))!.lastHeartbeat).toBeGreaterThan(firstBeat);
    control.release();
    const done = await status(task.id, ["completed", "failed"]);
    expect([done.status, done.attempts]).toEqual(["completed", 1]);
    expect((await getRuns(s.db, task.id)).map((r) => r.status)).toEqual(["completed"]);
    d.child.kill("SIGTERM");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect((await getWorker(s.db, "deployer-long"))!.status).toBe("offline");
  });

  it("SIGTERM stops claiming, lets the running deployment finish, then goes offline", async () => {
    const d = startDeployer("deployer-drain", ["--drain-timeout-ms", "120000"]);
    const control = makeControl(s, "drain", { hold: true });
    const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
    const running = await deployment("running", {
      strategy: "local",
      artifact,
      target: "app",
      healthCheck: { command: control.argv, timeoutMs: 120_000 },
    });
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    d.child.kill("SIGTERM");
    await waitUntil(() => d.logs().some((l) => l.msg === "draining"), "the deployer to start draining");
    const next = await deployment("next", { strategy: "local", artifact, target: "other" });
    control.release();
    expect(await d.exited).toEqual({ code: 0, signal: null });
    const done = (await getTask(s.db, running.id))!;
    expect(done.status).toBe("completed");
    expect(targetState(join(s.root, "app")).current).toBe(`releases/${releaseOf(done)}`);
    expect(await getTask(s.db, next.id)).toMatchObject({ status: "queued", attempts: 0 });
    expect((await getWorker(s.db, "deployer-drain"))!.status).toBe("offline");
  });

  it("SIGTERM past the drain bound aborts the deployment, rolls it back, and exits", async () => {
    const d = startDeployer("deployer-abort", ["--drain-timeout-ms", "500"]);
    const live = releaseOf(
      await status(
        (
          await deployment("v1", {
            strategy: "local",
            artifact: makeArtifact(s, "v1", { "index.html": "v1" }),
            target: "app",
          })
        ).id,
        ["completed"],
      ),
    );
    const control = makeControl(s, "stuck", { hold: true });
    const task = await deployment("v2", {
      strategy: "local",
      artifact: makeArtifact(s, "v2", { "index.html": "v2" }),
      target: "app",
      healthCheck: { command: control.argv, timeoutMs: 120_000 },
    });
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    d.child.kill("SIGTERM");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(control.pids().filter(isAlive)).toEqual([]);
    expect(targetState(join(s.root, "app"))).toEqual({
      current: `releases/${live}`,
      releases: [live],
      extras: [],
    });
    // Handed back for a later try, not lost: queued again with its failed run on record.
    expect(await getTask(s.db, task.id)).toMatchObject({ status: "queued", attempts: 1 });
    expect((await getRuns(s.db, task.id)).map((r) => [r.status, r.errorMessage])).toEqual([
      ["failed", `deployment aborted during the health check; rolled back to ${live}`],
    ]);
    expect((await getWorker(s.db, "deployer-abort"))!.status).toBe("offline");
  });

  it("after a deployer is killed with SIGKILL mid-deploy, the task runs again once its lease expires and the target is consistent", async () => {
    const a = startDeployer("deployer-a", ["--lease-ms", "3000"]);
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    const live = releaseOf(
      await status((await deployment("v1", { strategy: "local", artifact: v1, target: "app" })).id, [
        "completed",
      ]),
    );
    const control = makeControl(s, "crash", { hold: true });
    const v2 = makeArtifact(s, "v2", { "index.html": "v2", "assets/app.js": "console.log(2)" });
    const task = await deployment("v2", {
      strategy: "local",
      artifact: v2,
      target: "app",
      healthCheck: { command: control.argv, timeoutMs: 120_000 },
    });
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    const target = join(s.root, "app");
    // Mid-deploy: the new release is live but unverified.
    expect(targetState(target).current).toBe(`releases/${task.id}-1`);
    a.child.kill("SIGKILL");
    expect(await a.exited).toEqual({ code: null, signal: "SIGKILL" });
    for (const pid of control.pids()) process.kill(pid, "SIGKILL"); // the orphaned health check
    // Even now, current points at a complete copy.
    expect(readTree(join(target, "current"))).toEqual(readTree(v2));
    control.release();

    const b = startDeployer("deployer-b", ["--lease-ms", "3000"]);
    const done = await status(task.id, ["completed", "failed"]);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({ releaseId: `${task.id}-2`, previousReleaseId: live });
    const runs = await getRuns(s.db, task.id);
    expect(runs.map((r) => [r.runNumber, r.status, r.workerId])).toEqual([
      [1, "lost", "deployer-a"],
      [2, "completed", "deployer-b"],
    ]);
    expect(runs[1]!.outputLog).toContain(
      `recovered from an interrupted deployment of ${task.id}-1: current -> ${live}`,
    );
    expect(runs[1]!.outputLog).toContain(
      `taking over the lock of deployer process ${a.child.pid}, which is gone`,
    );
    // Consistent: current is the new complete release; the unverified one, temp copies, journal
    // and lock are gone.
    expect(targetState(target)).toEqual({
      current: `releases/${task.id}-2`,
      releases: [live, `${task.id}-2`].sort(),
      extras: [],
    });
    expect(readTree(join(target, "current"))).toEqual(readTree(v2));
    await waitUntil(
      async () => (await getWorker(s.db, "deployer-a"))?.status === "offline",
      "the killed deployer to be marked offline",
    );
    b.child.kill("SIGTERM");
    expect(await b.exited).toEqual({ code: 0, signal: null });
  });

  it("refuses an invalid configuration with exit code 2 and names the field", async () => {
    const d = startDeployer("deployer-bad", ["--concurrency", "0"]);
    expect(await d.exited).toEqual({ code: 2, signal: null });
    expect(d.output()).toMatch(/^invalid configuration: concurrency: /m);
    const e = startDeployer("deployer-bad", ["--no-such-flag"]);
    expect(await e.exited).toEqual({ code: 2, signal: null });
    expect(e.output()).toMatch(/^invalid arguments: Unknown option '--no-such-flag'/m);
  });

  it("takes the '--' that `pnpm start -- <flags>` forwards as nothing (--once exits 0)", async () => {
    const d = daemons.start([
      "--",
      "--db",
      s.dbPath,
      "--root",
      s.root,
      "--worker-id",
      "deployer-dd",
      "--once",
    ]);
    expect(await d.exited, d.output()).toEqual({ code: 0, signal: null });
    expect((await getWorker(s.db, "deployer-dd"))?.status).toBe("offline");
  });
});
