import { join } from "node:path";
import { cancelTask, createTask, getRuns, getTask, requeueTask, type Worker } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import {
  isAlive,
  makeArtifact,
  makeControl,
  readTree,
  targetState,
  taskReaching,
  useSandbox,
  waitUntil,
} from "./testing/fixtures.ts";
import { useDeployerWorkers } from "./testing/workers.ts";

const s = useSandbox();
const workers = useDeployerWorkers();

const settled = (taskId: string, statuses?: string[]) => taskReaching(s.db, taskId, statuses);

/** Deploys a first release of target "app" through the worker; returns its release id. */
async function baseline(): Promise<string> {
  const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
  const t = await createTask(s.db, {
    title: "deploy v1",
    taskType: "deployment",
    payload: { strategy: "local", artifact, target: "app" },
  });
  const done = await settled(t.id);
  expect(done.status).toBe("completed");
  return (done.result as { releaseId: string }).releaseId;
}

describe("deployment outcomes", () => {
  it("completes the task with the release id, from a planner's deployment subtask payload", async () => {
    await workers.start(s.db, s.root);
    const artifact = makeArtifact(s, "v1", { "index.html": "v1", "lib/a.js": "a" });
    const task = await createTask(s.db, {
      title: "Deploy to local",
      taskType: "deployment",
      requiredSkills: ["deploy"],
      // What the builtin planner puts in the deployment subtask: the request's settings and more.
      payload: {
        strategy: "local",
        artifact,
        target: "web",
        keepReleases: 3,
        environment: "local",
        subtask: { deliverables: ["release"], estimated_duration: 5, complexity: "low" },
      },
    });
    const done = await settled(task.id);
    const releaseId = `${task.id}-1`;
    expect(done.status).toBe("completed");
    expect(done.result).toEqual({
      releaseId,
      strategy: "local",
      releasePath: join(s.root, "web", "releases", releaseId),
      previousReleaseId: null,
    });
    const [run] = await getRuns(s.db, task.id);
    expect(run).toMatchObject({ status: "completed", resultData: done.result, errorMessage: null });
    expect(run!.outputLog).toContain(`current -> releases/${releaseId} (previous: none)`);
    expect(targetState(join(s.root, "web")).current).toBe(`releases/${releaseId}`);
    expect(readTree(join(s.root, "web", "current"))).toEqual(readTree(artifact));
  });

  it("redeploys a requeued deployment as a new release, never over the live one", async () => {
    await workers.start(s.db, s.root);
    const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
    const task = await createTask(s.db, {
      title: "deploy",
      taskType: "deployment",
      payload: { strategy: "local", artifact, target: "app" },
    });
    expect((await settled(task.id)).result).toMatchObject({ releaseId: `${task.id}-1` });
    // The operator's requeue resets the attempt count; the release name must still be fresh.
    await requeueTask(s.db, task.id);
    const again = await settled(task.id, ["completed", "failed"]);
    expect([again.status, again.attempts]).toEqual(["completed", 1]);
    expect(again.result).toMatchObject({ releaseId: `${task.id}-2`, previousReleaseId: `${task.id}-1` });
    expect(targetState(join(s.root, "app"))).toEqual({
      current: `releases/${task.id}-2`,
      releases: [`${task.id}-1`, `${task.id}-2`],
      extras: [],
    });
  });

  it("retries a failing deployment with backoff, then fails for good with the previous release live", async () => {
    await workers.start(s.db, s.root, { backoffBaseMs: 100 });
    const live = await baseline();
    const control = makeControl(s, "unhealthy", { fail: true });
    const task = await createTask(s.db, {
      title: "deploy v2",
      taskType: "deployment",
      maxRetries: 2,
      payload: {
        strategy: "local",
        artifact: makeArtifact(s, "v2", { "index.html": "v2" }),
        target: "app",
        healthCheck: { command: control.argv },
      },
    });
    const done = await settled(task.id, ["failed"]);
    expect(done.attempts).toBe(3);
    const runs = await getRuns(s.db, task.id);
    expect(runs.map((r) => [r.runNumber, r.status, r.errorMessage])).toEqual(
      [1, 2, 3].map((n) => [n, "failed", `health check exited with code 1; rolled back to ${live}`]),
    );
    for (const r of runs)
      expect(r.outputLog).toContain(`rolled back to ${live}: health check exited with code 1`);
    // Backoff: base 100 ms doubling, minus at most 20 % jitter, between a failure and the next try.
    for (const i of [0, 1])
      expect(runs[i + 1]!.startedAt - runs[i]!.completedAt!).toBeGreaterThanOrEqual(0.8 * 100 * 2 ** i);
    expect(done.lastError).toBe(`health check exited with code 1; rolled back to ${live}`);
    expect(targetState(join(s.root, "app"))).toEqual({
      current: `releases/${live}`,
      releases: [live],
      extras: [],
    });
    expect(readTree(join(s.root, "app", "current"))).toEqual({ "index.html": "v1" });
  });

  it("a cancellation mid-deploy aborts the health check and rolls back", async () => {
    const worker: Worker = await workers.start(s.db, s.root);
    const live = await baseline();
    const control = makeControl(s, "held", { hold: true });
    const task = await createTask(s.db, {
      title: "deploy v2",
      taskType: "deployment",
      payload: {
        strategy: "local",
        artifact: makeArtifact(s, "v2", { "index.html": "v2" }),
        target: "app",
        healthCheck: { command: control.argv, timeoutMs: 120_000 },
      },
    });
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    expect(targetState(join(s.root, "app")).current).toBe(`releases/${task.id}-1`);
    await cancelTask(s.db, task.id, "stop that release");
    await waitUntil(() => worker.holding === 0, "the deployer to let go of the task");
    expect(control.pids().filter(isAlive)).toEqual([]);
    expect(targetState(join(s.root, "app"))).toEqual({
      current: `releases/${live}`,
      releases: [live],
      extras: [],
    });
    expect(await getTask(s.db, task.id)).toMatchObject({ status: "cancelled", attempts: 1 });
    expect((await getRuns(s.db, task.id)).map((r) => [r.status, r.errorMessage])).toEqual([
      ["cancelled", "stop that release"],
    ]);
  });

  it("with concurrency 3, deploys different targets side by side and one target one deployment at a time", async () => {
    await workers.start(s.db, s.root, { concurrency: 3 });
    const a = makeControl(s, "a", { hold: true });
    const b = makeControl(s, "b", { hold: true });
    const local = (name: string, target: string, check?: string[]) =>
      createTask(s.db, {
        title: name,
        taskType: "deployment",
        payload: {
          strategy: "local",
          artifact: makeArtifact(s, name, { "index.html": name }),
          target,
          ...(check ? { healthCheck: { command: check, timeoutMs: 120_000 } } : {}),
        },
      });
    const first = await local("x1", "x", a.argv);
    const other = await local("y1", "y", b.argv);
    await waitUntil(() => a.pids().length > 0 && b.pids().length > 0, "both health checks to run at once");
    const second = await local("x2", "x");
    await waitUntil(
      async () => (await getTask(s.db, second.id))?.status === "in_progress",
      "the second deployment of x to start",
    );
    // It waits for the first deployment of x: current still points at the first's release.
    expect(targetState(join(s.root, "x")).current).toBe(`releases/${first.id}-1`);
    a.release();
    b.release();
    const done = await Promise.all([first, other, second].map((t) => settled(t.id)));
    expect(done.map((t) => t.status)).toEqual(["completed", "completed", "completed"]);
    expect(done[2]!.result).toMatchObject({ previousReleaseId: `${first.id}-1` });
    expect(targetState(join(s.root, "x")).current).toBe(`releases/${second.id}-1`);
    expect(readTree(join(s.root, "y", "current"))).toEqual({ "index.html": "y1" });
  });
});
