import { existsSync } from "node:fs";
import { join } from "node:path";
import { getPlanningRequest, listPlanningRequests } from "@hive/orchestration";
import { tempDatabase, testBackend } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import { ConfigUsageError, loadPlannerConfig } from "./config.ts";
import { parseSubmitArgs } from "./submit.ts";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

describe("hive-planner's database flags", () => {
  it("refuses --db with --database-url (exit 2, naming both flags) and opens neither", async () => {
    const db = join(temp.dir, "untouched.db");
    const r = await processes.run([
      "--db",
      db,
      "--database-url",
      "postgres://nobody@127.0.0.1:1/none",
      "--once",
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("give --db (SQLite) or --database-url (PostgreSQL), not both");
    expect(existsSync(db)).toBe(false);
  });

  it("loadPlannerConfig throws ConfigUsageError for both flags, and still lets a flag beat the environment", () => {
    const url = "postgres://u@127.0.0.1:5432/db";
    expect(() => loadPlannerConfig(["--db", "a.db", "--database-url", url], {})).toThrow(ConfigUsageError);
    expect(loadPlannerConfig(["--db", "a.db"], { HIVE_DATABASE_URL: url }).dbPath).toBe("a.db");
    expect(loadPlannerConfig(["--database-url", url], { HIVE_DB_PATH: "b.db" }).databaseUrl).toBe(url);
  });

  it("writes the workerId key once in each JSON log line", async () => {
    const r = await processes.run(["--db", temp.path, "--once", "--agent-id", "planner-log"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split("\n").filter((l) => l.startsWith("{"));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.match(/"workerId":/g), line).toHaveLength(1);
  });
});

describe("hive-planner submit's database flags", () => {
  const unreachable = "postgres://nobody@127.0.0.1:1/none";

  it("takes --database-url like the daemon: the flag beats HIVE_DB_PATH and no SQLite file is opened", async () => {
    const db = join(temp.dir, "untouched.db");
    const r = await processes.run(["submit", "--database-url", unreachable, "-d", "x"], { HIVE_DB_PATH: db });
    expect(r.stderr).not.toMatch(/Unknown option/);
    expect(r.stderr).toMatch(/cannot open PostgreSQL database: connect ECONNREFUSED 127\.0\.0\.1:1/);
    expect(r.code).toBe(1);
    expect(existsSync(db)).toBe(false);
  });

  it("writes to the database the daemon plans from when $HIVE_DB_PATH and $HIVE_DATABASE_URL are both set (the SQLite file)", async () => {
    const env = { HIVE_DB_PATH: temp.path, HIVE_DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" };
    const r = await processes.run(["submit", "-d", "planned where it was sent"], env);
    expect(r.code, r.stderr).toBe(0);
    const [request] = await listPlanningRequests(temp.db);
    expect(request).toMatchObject({
      id: JSON.parse(r.stdout).id,
      taskDescription: "planned where it was sent",
    });
    const daemon = await processes.run(["--once"], env);
    expect(daemon.code, daemon.stderr).toBe(0);
    expect(await getPlanningRequest(temp.db, request!.id)).toMatchObject({ status: "completed" });
  });

  it("refuses a --database-url that is not a PostgreSQL URL with exit 2 (daemon and submit), instead of a DNS failure", async () => {
    const [daemon, submit] = await Promise.all([
      processes.run(["--database-url", "notaurl", "--once"]),
      processes.run(["submit", "-d", "x"], { HIVE_DATABASE_URL: "notaurl" }),
    ]);
    for (const r of [daemon, submit]) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain("databaseUrl: must be a PostgreSQL URL");
      expect(r.stderr).not.toContain("ENOTFOUND");
    }
  });

  it("refuses --db with --database-url (exit 2, naming both flags) and opens neither", async () => {
    const db = join(temp.dir, "untouched.db");
    const r = await processes.run(["submit", "--db", db, "--database-url", unreachable, "-d", "x"]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("give --db (SQLite) or --database-url (PostgreSQL), not both");
    expect(r.stdout).toBe("");
    expect(existsSync(db)).toBe(false);
    expect(() => parseSubmitArgs(["--db", db, "--database-url", unreachable, "-d", "x"])).toThrow(
      ConfigUsageError,
    );
    expect(parseSubmitArgs(["--database-url", unreachable, "-d", "x"]).databaseUrl).toBe(unreachable);
  });

  it.skipIf(testBackend !== "postgres")("submits to PostgreSQL with --database-url", async () => {
    const pg = await tempDatabase("planner_submit");
    try {
      const { url, schema } = pg.openOptions;
      const r = await processes.run(["submit", "--database-url", url!, "-d", "over postgres"], {
        HIVE_DATABASE_SCHEMA: schema!,
      });
      expect(r.code, r.stderr).toBe(0);
      const printed = JSON.parse(r.stdout);
      expect(await getPlanningRequest(pg.db, printed.id)).toMatchObject({
        status: "pending",
        taskDescription: "over postgres",
      });
    } finally {
      await pg.cleanup();
    }
  });
});
