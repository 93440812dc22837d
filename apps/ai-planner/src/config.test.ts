import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { loadPlannerConfig } from "./config.ts";

describe("loadPlannerConfig", () => {
  it("takes flags over environment variables, and defaults the rest", () => {
    const c = loadPlannerConfig(["--db", "a.db", "--poll-ms", "50", "--once"], {
      HIVE_DB_PATH: "b.db",
      HIVE_PLANNER_POLL_MS: "999",
      HIVE_PLANNER_CONCURRENCY: "4",
      HIVE_PLANNER_ID: "p-env",
    });
    expect(c).toMatchObject({
      dbPath: "a.db",
      pollMs: 50,
      concurrency: 4,
      agentId: "p-env",
      once: true,
      planner: "builtin",
      staleAfterMs: 60_000,
      storeDelayMs: 0,
      drainMs: 10_000,
    });
  });

  it("takes a --database-url flag over $HIVE_DB_PATH, and --db over both", () => {
    const url = "postgres://u@127.0.0.1:5432/db";
    const c = loadPlannerConfig(["--database-url", url], { HIVE_DB_PATH: "b.db" });
    expect(c).toMatchObject({ dbPath: undefined, databaseUrl: url });
    expect(loadPlannerConfig([], { HIVE_DB_PATH: "b.db", HIVE_DATABASE_URL: url }).dbPath).toBe("b.db");
    expect(loadPlannerConfig(["--db", "a.db"], { HIVE_DATABASE_URL: url }).dbPath).toBe("a.db");
  });

  it("refuses a database URL that is not a PostgreSQL URL, naming databaseUrl, unless a SQLite path wins over it", () => {
    expect(() => loadPlannerConfig(["--database-url", "notaurl"], {})).toThrow(
      /databaseUrl.*PostgreSQL URL/s,
    );
    expect(() => loadPlannerConfig([], { HIVE_DATABASE_URL: "http://db.example/x" })).toThrow(/databaseUrl/);
    expect(loadPlannerConfig([], { HIVE_DB_PATH: "b.db", HIVE_DATABASE_URL: "notaurl" }).dbPath).toBe("b.db");
    expect(loadPlannerConfig(["--database-url", "postgresql://u@h/db"], {}).databaseUrl).toBe(
      "postgresql://u@h/db",
    );
  });

  it("treats an empty variable as unset", () => {
    const c = loadPlannerConfig([], { HIVE_PLANNER_POLL_MS: "", HIVE_LLM_API_KEY: "", OPENAI_API_KEY: "" });
    expect(c.pollMs).toBe(200);
    expect(c.llm.apiKey).toBeUndefined();
  });

  it("gives the LLM planner a stale limit longer than all its calls for one plan", () => {
    const c = loadPlannerConfig(["--planner", "llm"], {
      ANTHROPIC_API_KEY: "k",
      HIVE_LLM_TIMEOUT_MS: "30000",
      HIVE_LLM_MAX_ATTEMPTS: "4",
    });
    expect(c.llm).toMatchObject({ provider: "anthropic", apiKey: "k", timeoutMs: 30_000, maxAttempts: 4 });
    expect(c.staleAfterMs).toBe(30_000 * 4 + 60_000);
    expect(loadPlannerConfig(["--planner", "llm", "--stale-ms", "5000"], {}).staleAfterMs).toBe(5000);
  });

  it("rejects a bad value naming the field", () => {
    expect(() => loadPlannerConfig(["--concurrency", "0"], {})).toThrow(ZodError);
    expect(() => loadPlannerConfig(["--planner", "magic"], {})).toThrow(/planner/);
    expect(() => loadPlannerConfig([], { HIVE_LLM_BASE_URL: "not a url" })).toThrow(/baseUrl/);
    expect(() => loadPlannerConfig(["--nope"], {})).toThrow(/Unknown option '--nope'/);
  });

  it("refuses an empty or non-decimal number flag (a script's unset variable) instead of reading it as 0", () => {
    const issue = (args: string[]) => {
      try {
        loadPlannerConfig(args, {});
      } catch (err) {
        return (err as ZodError).issues[0];
      }
      return undefined;
    };
    expect(issue(["--reaper-ms", ""])).toMatchObject({ path: ["reaperMs"], message: "must be an integer" });
    expect(issue(["--drain-ms", " "])).toMatchObject({ path: ["drainMs"], message: "must be an integer" });
    expect(issue(["--poll-ms", "1e3"])).toMatchObject({ path: ["pollMs"], message: "must be an integer" });
  });

  it("refuses a worker timeout not longer than the planner's own heartbeat, naming workerTimeoutMs", () => {
    expect(() => loadPlannerConfig(["--heartbeat-ms", "5000", "--worker-timeout-ms", "1000"], {})).toThrow(
      /workerTimeoutMs[\s\S]*must be longer than heartbeatMs/,
    );
    expect(() => loadPlannerConfig(["--heartbeat-ms", "5000", "--worker-timeout-ms", "5000"], {})).toThrow(
      /workerTimeoutMs/,
    );
    expect(
      loadPlannerConfig(["--heartbeat-ms", "5000", "--worker-timeout-ms", "15000"], {}).workerTimeoutMs,
    ).toBe(15_000);
  });
});
