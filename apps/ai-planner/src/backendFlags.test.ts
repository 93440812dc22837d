import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigUsageError, loadPlannerConfig } from "./config.ts";
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
