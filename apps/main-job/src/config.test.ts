import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { loadAgentConfig } from "./agent/config.ts";
import { loadMainConfig } from "./config.ts";

describe("loadMainConfig", () => {
  it("takes the database path as its one positional argument, as `npm start -- <db path>` passes it", () => {
    expect(loadMainConfig(["some/dir/x.db"], {}).dbPath).toBe(resolve("some/dir/x.db"));
  });

  it("falls back to $HIVE_DB_PATH, then to the embedded default", () => {
    expect(loadMainConfig([], { HIVE_DB_PATH: "env.db" }).dbPath).toBe(resolve("env.db"));
    expect(loadMainConfig([], {}).dbPath).toBe(resolve("hive/db/hive-internal.db"));
  });

  it("selects PostgreSQL by --database-url or $HIVE_DATABASE_URL; a path flag wins, and a URL flag beats $HIVE_DB_PATH", () => {
    const url = "postgres://u@127.0.0.1/x";
    expect(loadMainConfig(["--database-url", url], {}).databaseUrl).toBe(url);
    expect(loadMainConfig([], { HIVE_DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(loadMainConfig(["a.db", "--database-url", url], {}).databaseUrl).toBeUndefined();
    expect(loadMainConfig(["--database-url", url], { HIVE_DB_PATH: "env.db" }).databaseUrl).toBe(url);
    expect(
      loadMainConfig([], { HIVE_DB_PATH: "env.db", HIVE_DATABASE_URL: url }).databaseUrl,
    ).toBeUndefined();
  });

  it("refuses two database paths, unknown flags and out-of-range numbers", () => {
    expect(() => loadMainConfig(["a.db", "b.db"], {})).toThrow(/at most one database path/);
    expect(() => loadMainConfig(["--db", "a.db", "b.db"], {})).toThrow(/at most one database path/);
    expect(() => loadMainConfig(["--nope"], {})).toThrow(/Unknown option '--nope'/);
    expect(() => loadMainConfig(["--agents", "0"], {})).toThrow(/agents/);
  });

  it("refuses an empty or non-decimal number (a script's unset variable) instead of reading it as 0", () => {
    const issue = (args: string[]) => {
      try {
        loadMainConfig(args, {});
      } catch (err) {
        return (err as ZodError).issues[0];
      }
      return undefined;
    };
    expect(issue(["--priority", ""])).toMatchObject({ path: ["priority"], message: "must be an integer" });
    expect(issue(["--work-ms", " "])).toMatchObject({ path: ["workMs"], message: "must be an integer" });
    expect(issue(["--timeout-ms", "1e6"])).toMatchObject({
      path: ["timeoutMs"],
      message: "must be an integer",
    });
    expect(loadMainConfig(["--priority", " -2 ", "--work-ms", "0"], {})).toMatchObject({
      priority: -2,
      workMs: 0,
    });
    expect(() => loadAgentConfig(["--work-ms", ""], {})).toThrow(/must be an integer/);
  });
});
