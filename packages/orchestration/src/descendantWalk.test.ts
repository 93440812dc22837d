import { describe, expect, it } from "vitest";
import { claimTasks, failTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { cancelTask, createTask, createTasks, getTask, listTasks, requeueTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

/** Statuses of the chain's tasks c1..c{n-1}, counted. */
async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const task of await listTasks(t.db, { taskType: "chain", limit: 10_000 }))
    if (task.id !== "c0") out[task.status] = (out[task.status] ?? 0) + 1;
  return out;
}

describe("a failure and a requeue down a long chain", () => {
  it("fail every task waiting on the root, and revive exactly those whose other dependencies live", async () => {
    const n = 3000;
    await makeWorker(t.db);
    const x = await createTask(t.db, { id: "x", title: "x", taskType: "side" });
    // c0 ← c1 ← … ← c2999; c2000 also waits on x.
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    await createTasks(
      t.db,
      ids.map((id, i) => ({
        id,
        title: id,
        taskType: "chain",
        ...(i === 0 ? {} : { dependsOn: i === 2000 ? [ids[i - 1]!, x.id] : [ids[i - 1]!] }),
      })),
    );
    await cancelTask(t.db, x.id);
    expect(await counts()).toEqual({ blocked: 1999, upstream_failed: 1000 });

    const [claim] = await claimTasks(t.db, { workerId: "w1", taskTypes: ["chain"] });
    expect(claim!.task.id).toBe("c0");
    await failTask(t.db, { taskId: "c0", token: claim!.token, error: "boom", retryable: false });
    expect(await counts()).toEqual({ upstream_failed: n - 1 });
    expect((await getTask(t.db, "c1999"))!.lastError).toContain("dependency c0 failed");

    // c0 comes back: c1..c1999 wait on it again; c2000 (x still cancelled) and all below it stay.
    await requeueTask(t.db, "c0");
    expect(await counts()).toEqual({ blocked: 1999, upstream_failed: 1000 });
    expect((await getTask(t.db, "c1"))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    expect((await getTask(t.db, "c2000"))!.status).toBe("upstream_failed");

    // x comes back: the rest of the chain waits again, c2000 on both its dependencies.
    await requeueTask(t.db, x.id);
    expect(await counts()).toEqual({ blocked: n - 1 });
    expect((await getTask(t.db, "c2000"))!).toMatchObject({ status: "blocked", pendingDependencies: 2 });
    expect((await getTask(t.db, "c2999"))!).toMatchObject({ status: "blocked", pendingDependencies: 1 });
    const check = await checkDatabase(t.db);
    expect(check.dependencyCounterMismatches).toBe(0);
  });

  it("fail and revive a fan-out of dependents of one task", async () => {
    await makeWorker(t.db);
    await createTask(t.db, { id: "root", title: "root", taskType: "chain" });
    await createTasks(
      t.db,
      Array.from({ length: 2000 }, (_, i) => ({
        id: `f${i}`,
        title: `f${i}`,
        taskType: "leaf",
        dependsOn: ["root"],
      })),
    );
    const [claim] = await claimTasks(t.db, { workerId: "w1", taskTypes: ["chain"] });
    await failTask(t.db, { taskId: "root", token: claim!.token, error: "boom", retryable: false });
    const leaves = async () =>
      new Set((await listTasks(t.db, { taskType: "leaf", limit: 10_000 })).map((l) => l.status));
    expect(await leaves()).toEqual(new Set(["upstream_failed"]));
    await requeueTask(t.db, "root");
    expect(await leaves()).toEqual(new Set(["blocked"]));
    expect((await checkDatabase(t.db)).dependencyCounterMismatches).toBe(0);
  });
});
