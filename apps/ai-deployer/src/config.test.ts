import { describe, expect, it } from "vitest";
import type { ZodError } from "zod";
import { loadDeployerConfig } from "./config.ts";

describe("loadDeployerConfig", () => {
  it("takes a --database-url flag over $HIVE_DB_PATH, and --db over both", () => {
    const url = "postgres://u@127.0.0.1:5432/db";
    const c = loadDeployerConfig(["--database-url", url], { HIVE_DB_PATH: "b.db" });
    expect(c).toMatchObject({ dbPath: undefined, databaseUrl: url });
    expect(loadDeployerConfig([], { HIVE_DB_PATH: "b.db", HIVE_DATABASE_URL: url }).dbPath).toBe("b.db");
    expect(loadDeployerConfig(["--db", "a.db"], { HIVE_DATABASE_URL: url }).dbPath).toBe("a.db");
  });

  it("refuses a database URL that is not a PostgreSQL URL, naming databaseUrl, unless a SQLite path wins over it", () => {
    expect(() => loadDeployerConfig(["--database-url", "notaurl"], {})).toThrow(
      /databaseUrl.*PostgreSQL URL/s,
    );
    expect(() => loadDeployerConfig([], { HIVE_DATABASE_URL: "http://db.example/x" })).toThrow(/databaseUrl/);
    expect(loadDeployerConfig([], { HIVE_DB_PATH: "b.db", HIVE_DATABASE_URL: "notaurl" }).dbPath).toBe(
      "b.db",
    );
    expect(loadDeployerConfig(["--database-url", "postgres://u@h/db"], {}).databaseUrl).toBe(
      "postgres://u@h/db",
    );
  });

  it("treats an empty variable as unset, not as 0 or an empty path", () => {
    const c = loadDeployerConfig([], {
      HIVE_DB_PATH: "",
      HIVE_DATABASE_URL: "",
      HIVE_DEPLOY_ROOT: "",
      HIVE_DEPLOYER_DRAIN_MS: "",
      HIVE_DEPLOYER_BACKOFF_MS: "",
      HIVE_DEPLOYER_LEASE_MS: "",
    });
    expect(c).toMatchObject({
      dbPath: undefined,
      databaseUrl: undefined,
      root: "hive/deployments",
      drainTimeoutMs: 30_000,
      backoffBaseMs: 1000,
      leaseMs: 30_000,
    });
  });

  it("refuses a lease renewal period that is not shorter than the lease, naming heartbeatMs", () => {
    expect(() => loadDeployerConfig(["--lease-ms", "1000", "--heartbeat-ms", "5000"], {})).toThrow(
      /heartbeatMs.*shorter than leaseMs/s,
    );
    expect(() => loadDeployerConfig(["--lease-ms", "1000", "--heartbeat-ms", "1000"], {})).toThrow(
      /heartbeatMs/,
    );
    expect(loadDeployerConfig(["--lease-ms", "1000", "--heartbeat-ms", "300"], {}).heartbeatMs).toBe(300);
  });

  it("refuses an empty or non-decimal number flag (a script's unset variable) instead of reading it as 0", () => {
    const issue = (args: string[]) => {
      try {
        loadDeployerConfig(args, {});
      } catch (err) {
        return (err as ZodError).issues[0];
      }
      return undefined;
    };
    expect(issue(["--drain-timeout-ms", ""])).toMatchObject({
      path: ["drainTimeoutMs"],
      message: "must be an integer",
    });
    expect(issue(["--backoff-ms", " "])).toMatchObject({
      path: ["backoffBaseMs"],
      message: "must be an integer",
    });
    expect(issue(["--lease-ms", "0x1000"])).toMatchObject({
      path: ["leaseMs"],
      message: "must be an integer",
    });
  });
});
