import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { checkDatabase } from "./integrity.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { getRuns } from "./runs.ts";
import { countTasksByStatus, createTasks, getTask } from "./tasks.ts";
import { makeWorker, sleep, useTempDatabase } from "./testing/fixtures.ts";
import { waitUntil } from "./testing/waitUntil.ts";
import { withRead } from "./tx.ts";

const tsx = createRequire(import.meta.url).resolve("tsx");
const script = join(import.meta.dirname, "testing/claimWorker.ts");
const raceScript = join(import.meta.dirname, "testing/raceChild.ts");
const t = useTempDatabase();

function child(workerId: string, mode = "") {
  const p = spawn(
    process.execPath,
    ["--import", tsx, script, JSON.stringify(t.temp.openOptions), workerId, mode],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let out = "";
  p.stdout.on("data", (d) => {
    out += d;
  });
  const firstLine = new Promise<string[]>((resolve) => {
    p.stdout.on("data", () => {
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(JSON.parse(line!));
    });
  });
  const exit = new Promise<number | null>((r) => p.on("exit", r));
  return { p, firstLine, exit };
}

/** A raceChild.ts process: waits for "ready", then answers the JSON array it prints last. */
function raceChild(args: string[]) {
  const p = spawn(
    process.execPath,
    ["--import", tsx, raceScript, JSON.stringify(t.temp.openOptions), ...args],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  let out = "";
  let onReady!: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.on("data", (d) => {
    out += d;
    if (out.startsWith("ready\n")) onReady();
  });
  const result = new Promise<string[]>((resolve, reject) =>
    p.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").at(-1)!))
        : reject(new Error(`${args} exited ${code}`)),
    ),
  );
  return { ready, result, say: (line: string) => p.stdin.write(`${line}\n`) };
}

/**
 * `n` tasks of type "dep", two raceChild workers, two creators (one per order) and `extra`
 * children, all started together. Resolves once the creators are done, with what they printed.
 */
async function race(n: number, extra: ReturnType<typeof raceChild>[] = []) {
  const deps = await createTasks(
    t.db,
    Array.from({ length: n }, (_, i) => ({ title: `dep ${i}`, taskType: "dep" })),
  );
  const workers = ["w1", "w2"].map((id) => raceChild(["work", id]));
  const creators = ["forward", "backward"].map((order) => raceChild(["create", order]));
  const all = [...workers, ...creators, ...extra];
  await Promise.all(all.map((c) => c.ready));
  for (const c of all) c.say("go");
  const outcomes = (await Promise.all(creators.map((c) => c.result))).flat();
  for (const w of workers) w.say("stop");
  const completed = (await Promise.all(workers.map((w) => w.result))).flat();
  return { deps, outcomes, completed };
}

describe("several processes on one database", () => {
  it("complete 5,000 tasks with four processes: each exactly once, none lost", async () => {
    const n = 5000;
    for (let i = 0; i < n; i += 1000)
      await createTasks(
        t.db,
        Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ title: `t${i + j}`, taskType: "noop" })),
      );
    const kids = ["p1", "p2", "p3", "p4"].map((id) => child(id));
    const outputs = await Promise.all(kids.map((k) => k.firstLine));
    expect(await Promise.all(kids.map((k) => k.exit))).toEqual([0, 0, 0, 0]);
    const all = outputs.flat();
    expect(all).toHaveLength(n);
    expect(new Set(all).size).toBe(n);
    expect(outputs.filter((o) => o.length > 0).length).toBeGreaterThan(1); // the work was shared
    expect(await countTasksByStatus(t.db)).toMatchObject({ completed: n, queued: 0, in_progress: 0 });
    const runs = await withRead(t.db, (ex) =>
      ex.get<{ total: number; completed: number; tasks: number }>(
        "SELECT count(*) AS total, sum(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed, count(DISTINCT task_id) AS tasks FROM runs",
      ),
    );
    expect([Number(runs!.total), Number(runs!.completed), Number(runs!.tasks)]).toEqual([n, n, n]);
    expect(await checkDatabase(t.db)).toMatchObject({
      integrity: "ok",
      foreignKeyViolations: 0,
      runMismatches: 0,
    });
  });

  it("run tasks arriving meanwhile with three Worker processes, two commit lanes each: each exactly once, none lost", async () => {
    const n = 4000;
    const kids = ["2", "2", "2"].map((lanes) => raceChild(["runtime", lanes]));
    await Promise.all(kids.map((k) => k.ready));
    for (const k of kids) k.say("go");
    const ids: string[] = [];
    for (let i = 0; i < n; i += 100) {
      const made = await createTasks(
        t.db,
        Array.from({ length: 100 }, (_, j) => ({ title: `t${i + j}`, taskType: "noop" })),
      );
      ids.push(...made.map((x) => x.id));
      await sleep(5);
    }
    await waitUntil(async () => (await countTasksByStatus(t.db)).completed === n, "all completed", 60_000);
    for (const k of kids) k.say("stop");
    const ran = await Promise.all(kids.map((k) => k.result));
    expect(ran.filter((r) => r.length > 0).length).toBeGreaterThan(1); // the work was shared
    const all = ran.flat();
    expect(all).toHaveLength(n);
    expect(new Set(all)).toEqual(new Set(ids));
    const runs = await withRead(t.db, (ex) =>
      ex.get<{ total: number; tasks: number }>(
        "SELECT count(*) AS total, count(DISTINCT task_id) AS tasks FROM runs",
      ),
    );
    expect([Number(runs!.total), Number(runs!.tasks)]).toEqual([n, n]);
    expect(await checkDatabase(t.db)).toMatchObject({ integrity: "ok", runMismatches: 0 });
  });

  it("re-runs the task of a worker process killed with SIGKILL once its lease expires", async () => {
    const [task] = await createTasks(t.db, [{ title: "survives a crash", taskType: "t" }]);
    const k = child("doomed", "hang");
    expect(await k.firstLine).toEqual([task!.id]);
    k.p.kill("SIGKILL");
    await k.exit;
    expect((await getTask(t.db, task!.id))!.status).toBe("in_progress");
    await sleep(600);
    expect((await reapExpiredLeases(t.db)).requeued).toEqual([task!.id]);
    await makeWorker(t.db, "rescuer");
    const [c] = await claimTasks(t.db, { workerId: "rescuer" });
    await completeTask(t.db, { taskId: task!.id, token: c!.token });
    expect((await getRuns(t.db, task!.id)).map((r) => [r.workerId, r.status])).toEqual([
      ["doomed", "lost"],
      ["rescuer", "completed"],
    ]);
  });

  it("create tasks on dependencies that other processes are completing: none waits forever, each runs once", async () => {
    const n = 400;
    const { deps, outcomes: created, completed } = await race(n);
    expect(created).toHaveLength(2 * n);
    expect(completed).toHaveLength(3 * n);
    expect(new Set(completed)).toEqual(new Set([...deps.map((d) => d.id), ...created]));
    expect(await countTasksByStatus(t.db)).toMatchObject({ completed: 3 * n, blocked: 0, queued: 0 });
    expect(await checkDatabase(t.db)).toMatchObject({ dependencyCounterMismatches: 0, runMismatches: 0 });
  });

  it("purge finished work while others create on it and complete it: nothing unfinished is removed, nothing lost", async () => {
    const n = 400;
    const purger = raceChild(["purge"]);
    const { deps, outcomes, completed } = await race(n, [purger]);
    purger.say("stop");
    const purged = await purger.result;

    const created = outcomes.filter((o) => !o.startsWith("refused:"));
    const refused = outcomes.filter((o) => o.startsWith("refused:")).map((o) => o.slice(8));
    expect(created.length + refused.length).toBe(2 * n);
    expect(purged.length).toBeGreaterThan(0); // the purge ran among the others
    // Each task ran once; only completed tasks were purged; a refusal names a purged dependency.
    expect(completed).toHaveLength(new Set(completed).size);
    expect(new Set(completed)).toEqual(new Set([...deps.map((d) => d.id), ...created]));
    const done = new Set(completed);
    expect(purged.filter((id) => !done.has(id))).toEqual([]);
    const gone = new Set(purged);
    expect(refused.filter((id) => !gone.has(id))).toEqual([]);
    // What was not purged is completed; nothing waits.
    expect(await countTasksByStatus(t.db)).toMatchObject({
      completed: completed.length - purged.length,
      blocked: 0,
      queued: 0,
      in_progress: 0,
    });
    expect(await checkDatabase(t.db)).toMatchObject({
      foreignKeyViolations: 0,
      dependencyCounterMismatches: 0,
      runMismatches: 0,
    });
  });
});
