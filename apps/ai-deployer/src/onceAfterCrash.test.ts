import { join } from "node:path";
import { claimTasks, createTask, getRuns, getTask, getWorker, registerWorker } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { useDaemons } from "./testing/daemons.ts";
import { makeArtifact, readTree, sleep, targetState, useSandbox } from "./testing/fixtures.ts";

const s = useSandbox();
const daemons = useDaemons();

const once = (workerId: string) =>
  daemons.start([
    "--db",
    s.dbPath,
    "--root",
    s.root,
    "--worker-id",
    workerId,
    "--once",
    "--log-level",
    "debug",
  ]);

describe("hive-deployer --once after a deployer crashed", () => {
  it("reaps the dead deployer's expired lease and deploys its task, instead of saying nothing is left", async () => {
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    const first = await createTask(s.db, {
      title: "v1",
      taskType: "deployment",
      payload: { strategy: "local", artifact: v1, target: "app" },
    });
    const d1 = once("deployer-1");
    expect(await d1.exited, d1.output()).toEqual({ code: 0, signal: null });
    const live = (await getTask(s.db, first.id))!.result as { releaseId: string };

    // A deployer claims v2 with a short lease, then is gone (no heartbeat, no renewal).
    const v2 = makeArtifact(s, "v2", { "index.html": "v2" });
    const task = await createTask(s.db, {
      title: "v2",
      taskType: "deployment",
      payload: { strategy: "local", artifact: v2, target: "app" },
      maxRetries: 3,
    });
    await registerWorker(s.db, {
      workerId: "deployer-dead",
      role: "deployer",
      capabilities: ["deploy", "local"],
    });
    const [claimed] = await claimTasks(s.db, {
      workerId: "deployer-dead",
      taskTypes: ["deployment"],
      leaseMs: 200,
    });
    expect(claimed!.task.id).toBe(task.id);
    await sleep(400);
    expect(await getTask(s.db, task.id)).toMatchObject({ status: "in_progress" });

    const d2 = once("deployer-2");
    expect(await d2.exited, d2.output()).toEqual({ code: 0, signal: null });
    const done = await getTask(s.db, task.id);
    expect(done).toMatchObject({ status: "completed", attempts: 2 });
    expect(done!.result).toMatchObject({ releaseId: `${task.id}-2`, previousReleaseId: live.releaseId });
    expect((await getRuns(s.db, task.id)).map((r) => [r.runNumber, r.status, r.workerId])).toEqual([
      [1, "lost", "deployer-dead"],
      [2, "completed", "deployer-2"],
    ]);
    expect(targetState(join(s.root, "app")).current).toBe(`releases/${task.id}-2`);
    expect(readTree(join(s.root, "app", "current"))).toEqual(readTree(v2));
    expect((await getWorker(s.db, "deployer-2"))!.status).toBe("offline");
  });
});
