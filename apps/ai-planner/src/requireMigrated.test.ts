import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, listPlanningRequests, openDatabase } from "@hive/orchestration";
import { TEST_PG_URL, testBackend } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

/** What the planner prints for a database it will not create or migrate by itself. */
const HINT = /; or start hive-planner with --migrate, which creates and migrates it/;

describe("hive-planner on a database that is missing or not migrated", () => {
  it("refuses a mistyped --db (exit 1, naming the path and how to create it) and creates no file", async () => {
    const typo = join(temp.dir, "hvie.db");
    for (const args of [["--once"], [], ["submit", "-d", "lost request"]]) {
      const r = await processes.run(args[0] === "submit" ? [...args, "--db", typo] : ["--db", typo, ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toContain(`DatabaseOpenError: no database at ${typo}`);
      expect(r.stderr).toMatch(HINT);
      expect(r.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
      expect(r.stdout).toBe("");
      expect(existsSync(typo)).toBe(false);
    }
  });

  it("refuses an existing file that is not a migrated Hive database, and leaves it as it was", async () => {
    const empty = join(temp.dir, "empty.db");
    writeFileSync(empty, "");
    const r = await processes.run(["--db", empty, "--once"]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`"${empty}" is not a migrated Hive database (no tables)`);
    expect(r.stderr).toMatch(HINT);
    expect(statSync(empty).size).toBe(0);
    expect(existsSync(`${empty}-wal`)).toBe(false);
  });

  it("creates and migrates the database with --migrate, and then plans there", async () => {
    const fresh = join(temp.dir, "sub", "fresh.db");
    const started = await processes.run(["--db", fresh, "--migrate", "--once"]);
    expect(started.code, started.stderr).toBe(0);
    const submitted = await processes.run(["submit", "--db", fresh, "-d", "Build the shop"]);
    expect(submitted.code, submitted.stderr).toBe(0);
    const planned = await processes.run(["--db", fresh, "--once"]);
    expect(planned.code, planned.stderr).toBe(0);
    const db = await openDatabase({ path: fresh, requireMigrated: true });
    try {
      expect((await listPlanningRequests(db)).map((r) => r.status)).toEqual(["completed"]);
    } finally {
      await closeDatabase(db);
    }
  });

  it("documents --migrate and that --db must exist in --help", async () => {
    const r = await processes.run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--migrate\s+create the database if missing/);
    expect(r.stdout).toMatch(/--db <file>.*must exist and be migrated/);
  });

  it.skipIf(testBackend !== "postgres")(
    "refuses a PostgreSQL schema that does not exist, and does not create it",
    async () => {
      const schema = `missing_${process.pid}_${Date.now().toString(36)}`;
      const r = await processes.run(["--database-url", TEST_PG_URL, "--once"], {
        HIVE_DATABASE_SCHEMA: schema,
      });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`PostgreSQL schema "${schema}" does not exist`);
      expect(r.stderr).toMatch(HINT);
      await expect(openDatabase({ url: TEST_PG_URL, schema, requireMigrated: true })).rejects.toThrow(
        /does not exist/,
      );
    },
  );
});
