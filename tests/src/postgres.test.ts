import { join } from "node:path";
import {
  checkDatabase,
  closeDatabase,
  type Database,
  getExecutionPlanForRequest,
  listPlanningRequests,
  openDatabase,
} from "@hive/orchestration";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import {
  dependencyOrderProblems,
  planShapeProblems,
  runAccountingProblems,
  snapshotPlan,
} from "./support/checks.ts";
import { entries } from "./support/daemons.ts";
import { useE2E } from "./support/e2e.ts";
import { processesMentioning } from "./support/processes.ts";

const PG_URL = process.env.HIVE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe("the main job on PostgreSQL", () => {
  const t = useE2E();
  const schema = `e2e_${process.pid}_${Date.now().toString(36)}`;
  let db: Database | undefined;

  afterEach(async () => {
    if (db) await closeDatabase(db);
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it("runs planner, deployer and agents unchanged on a server URL, and the plan completes there", async () => {
    const job = t.pool.start(
      "main-pg",
      entries.mainJob,
      ["--database-url", PG_URL, "--work-dir", join(t.dir, "work")],
      { HIVE_DATABASE_SCHEMA: schema },
    );
    expect(await job.exited, job.output()).toBe(0);
    expect(processesMentioning(t.dir)).toEqual([]);
    expect(job.output()).toContain(`(schema ${schema})`);

    db = await openDatabase({ url: PG_URL, schema });
    const [request] = await listPlanningRequests(db);
    expect(request?.status).toBe("completed");
    const plan = await getExecutionPlanForRequest(db, request!.id);
    expect(plan?.status).toBe("completed");
    const s = await snapshotPlan(db, plan!.id);
    expect(planShapeProblems(s)).toEqual([]);
    expect(runAccountingProblems(s)).toEqual([]);
    expect(dependencyOrderProblems(s)).toEqual([]);
    expect(await checkDatabase(db)).toMatchObject({ foreignKeyViolations: 0, runMismatches: 0 });
    // Nothing went to the SQLite file the harness prepared.
    expect(await listPlanningRequests(t.db)).toEqual([]);
  });
});
