import { existsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { closeDatabase, listWorkers, openDatabase } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { useDaemons } from "./testing/daemons.ts";
import { useSandbox } from "./testing/fixtures.ts";

const s = useSandbox();
const daemons = useDaemons();

/** What the deployer prints for a database it will not create or migrate by itself. */
const HINT = /; or start hive-deployer with --migrate, which creates and migrates it/;

describe("hive-deployer on a database that is missing or not migrated", () => {
  it("refuses a mistyped --db (exit 1, naming the path and how to create it) and creates no file", async () => {
    const typo = join(s.dir, "hvie.db");
    for (const extra of [["--once"], []]) {
      const d = daemons.start(["--db", typo, "--root", s.root, ...extra]);
      expect((await d.exited).code, d.output()).toBe(1);
      expect(d.output()).toContain(`DatabaseOpenError: no database at ${typo}`);
      expect(d.output()).toMatch(HINT);
      expect(d.output()).not.toMatch(/^\s+at /m); // a message, not a stack trace
      expect(existsSync(typo)).toBe(false);
    }
  });

  it("refuses an existing file that is not a migrated Hive database, and leaves it as it was", async () => {
    const empty = join(s.dir, "empty.db");
    writeFileSync(empty, "");
    const d = daemons.start(["--db", empty, "--root", s.root, "--once"]);
    expect((await d.exited).code, d.output()).toBe(1);
    expect(d.output()).toContain(`"${empty}" is not a migrated Hive database (no tables)`);
    expect(d.output()).toMatch(HINT);
    expect(statSync(empty).size).toBe(0);
  });

  it("creates and migrates the database with --migrate", async () => {
    const fresh = join(s.dir, "fresh.db");
    const d = daemons.start([
      "--db",
      fresh,
      "--root",
      s.root,
      "--worker-id",
      "dep-new",
      "--migrate",
      "--once",
    ]);
    expect((await d.exited).code, d.output()).toBe(0);
    const db = await openDatabase({ path: fresh, requireMigrated: true });
    try {
      expect(await listWorkers(db)).toMatchObject([{ id: "dep-new", role: "deployer", status: "offline" }]);
    } finally {
      await closeDatabase(db);
    }
  });

  it("documents --migrate and that --db must exist in --help", async () => {
    const d = daemons.start(["--help"]);
    expect((await d.exited).code).toBe(0);
    expect(d.output()).toMatch(/--migrate\s+create the database if missing/);
    expect(d.output()).toMatch(/--db <file>.*must exist and be migrated/);
  });
});
