import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionPlan, PlanDataInput } from "@hive/models";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { copySqliteToPostgres } from "./copy.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { HiveError } from "./errors.ts";
import type { Database } from "./handle.ts";
import { checkDatabase } from "./integrity.ts";
import { claimPlanningRequests, completePlanningRequest, submitPlanningRequest } from "./planning.ts";
import { getPlanExecution } from "./plans.ts";
import { getRuns } from "./runs.ts";
import { countTasksByStatus, createTask, getTask, getTaskDependencies } from "./tasks.ts";
import { TEST_PG_URL, testBackend } from "./testing/tempdb.ts";
import { withTx } from "./tx.ts";
import { registerWorker } from "./workers.ts";

// Runs on both test passes: it always needs SQLite as the source and PostgreSQL as the target.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function freshSchema(): Promise<string> {
  const schema = `copy_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
  return schema;
}

/** A new SQLite source file in a temp dir (removed after the test), open. */
async function sourceDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "hive-copy-"));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "src.db");
  return { path, src: await openDatabase({ path }) };
}

/** A plan of `subTasks` stored through the planner's path (request, claim, complete). */
async function storedPlan(src: Database, subTasks: PlanDataInput["sub_tasks"]): Promise<ExecutionPlan> {
  const req = await submitPlanningRequest(src, { taskDescription: "plan it" });
  await claimPlanningRequests(src, { agentId: "p" });
  return (
    await completePlanningRequest(src, { requestId: req.id, agentId: "p", planData: { sub_tasks: subTasks } })
  ).plan;
}

// Runs once, in the SQLite pass: it reads a SQLite file and writes to the PostgreSQL test server
// itself, so the PostgreSQL pass would only repeat it.
describe.skipIf(testBackend === "postgres")("copySqliteToPostgres", () => {
  it("keeps ids, states, runs, edges and plans", async () => {
    const { path, src } = await sourceDatabase();
    await registerWorker(src, { workerId: "w", role: "r" });
    const a = await createTask(src, { title: "a", taskType: "t", priority: 5 });
    const b = await createTask(src, { title: "b", taskType: "t", dependsOn: [a.id] });
    const [c] = await claimTasks(src, { workerId: "w" });
    await completeTask(src, { taskId: c!.task.id, token: c!.token, result: { n: 1 } });
    const plan = await storedPlan(src, [
      { id: "x", title: "X" },
      { id: "y", title: "Y", dependencies: ["x"] },
    ]);
    const before = await countTasksByStatus(src);
    await closeDatabase(src);

    const schema = await freshSchema();
    const r = await copySqliteToPostgres(path, { url: TEST_PG_URL, schema });
    expect(r.rows.tasks).toBe(4);
    expect(r.rows.task_dependencies).toBe(2);

    const dst = await openDatabase({ url: TEST_PG_URL, schema });
    try {
      expect(await countTasksByStatus(dst)).toEqual(before);
      expect((await getTask(dst, b.id))!.status).toBe("queued");
      expect((await getTask(dst, a.id))!.result).toEqual({ n: 1 });
      expect(await getTaskDependencies(dst, b.id)).toEqual([a.id]);
      expect((await getRuns(dst, a.id)).map((x) => x.status)).toEqual(["completed"]);
      expect(await checkDatabase(dst)).toMatchObject({
        dependencyCounterMismatches: 0,
        planCounterMismatches: 0,
      });
      // The copy is live: work continues on PostgreSQL.
      await registerWorker(dst, { workerId: "w2", role: "r" });
      const claimed = await claimTasks(dst, { workerId: "w2", limit: 10 });
      expect(claimed.map((x) => x.task.id).sort()).toEqual([b.id, `${plan.id}:x`].sort());
    } finally {
      await closeDatabase(dst);
    }
  });

  it("copies a plan part-way done whose SQLite progress_percent is fractional (1 of 3: 33.3…, as older rows hold it)", async () => {
    const { path, src } = await sourceDatabase();
    await registerWorker(src, { workerId: "w", role: "r" });
    const plan = await storedPlan(src, [
      { id: "x", title: "X" },
      { id: "y", title: "Y" },
      { id: "z", title: "Z" },
    ]);
    const [c] = await claimTasks(src, { workerId: "w" });
    await completeTask(src, { taskId: c!.task.id, token: c!.token });
    // As a row written before progress.ts cast its operand holds it (SQLite divided as REAL).
    await withTx(src, (tx) =>
      tx.ex.run("UPDATE plan_execution SET progress_percent = 100.0 / 3 WHERE plan_id = ?", [plan.id]),
    );
    await closeDatabase(src);

    const schema = await freshSchema();
    const r = await copySqliteToPostgres(path, { url: TEST_PG_URL, schema });
    expect(r.rows.plan_execution).toBe(1);
    const dst = await openDatabase({ url: TEST_PG_URL, schema });
    try {
      expect(await getPlanExecution(dst, plan.id)).toMatchObject({ progressPercent: 33, totalSubtasks: 3 });
    } finally {
      await closeDatabase(dst);
    }
  });

  it("refuses a target that already holds tasks, and changes nothing there", async () => {
    const { path, src } = await sourceDatabase();
    await createTask(src, { title: "a", taskType: "t" });
    await closeDatabase(src);
    const schema = await freshSchema();
    const dst = await openDatabase({ url: TEST_PG_URL, schema });
    await createTask(dst, { title: "existing", taskType: "t" });
    await expect(copySqliteToPostgres(path, { url: TEST_PG_URL, schema })).rejects.toThrow(HiveError);
    expect((await countTasksByStatus(dst)).queued).toBe(1);
    await closeDatabase(dst);
  });
});
