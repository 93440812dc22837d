import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, type Database, openDatabase } from "@hive/orchestration";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { DaemonPool } from "./daemons.ts";
import { processesMentioning } from "./processes.ts";

/** Where the logs, database and files of a failed test are kept (gitignored). */
export const ARTIFACTS_DIR = join(import.meta.dirname, "../../test-artifacts");

export interface E2E {
  /** The test's own temporary directory; every process it starts names it on its command line. */
  dir: string;
  /** A fresh, migrated SQLite file in `dir`. */
  dbPath: string;
  /** The test's connection to `dbPath`, for submitting and checking. */
  db: Database;
  pool: DaemonPool;
}

const slug = (s: string) =>
  s
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 100);

/**
 * One temporary directory and database file per test, and a DaemonPool. After each test: every
 * daemon still alive, and any process still naming the test's directory (the main job's
 * children), is ended and fails the test; when the test failed, the daemons' logs and the
 * test's files (database included) are copied to test-artifacts/. After all tests of the file,
 * no process may name the file's directory.
 */
export function useE2E(): E2E {
  const t = {} as E2E;
  let root = "";
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "hive-e2e-"));
  });
  beforeEach(async () => {
    t.dir = mkdtempSync(join(root, "t-"));
    t.dbPath = join(t.dir, "hive.db");
    t.pool = new DaemonPool();
    t.db = await openDatabase({ path: t.dbPath });
  });
  afterEach(async (ctx) => {
    const failed = ctx.task.result?.state === "fail";
    const left = t.pool.leftovers().map((d) => `${d.name} (pid ${d.child.pid})`);
    await t.pool.stopAll(5000);
    const strays = processesMentioning(t.dir);
    for (const s of strays) {
      try {
        process.kill(s.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    if (failed || left.length > 0 || strays.length > 0) {
      const dest = join(ARTIFACTS_DIR, `${slug(ctx.task.file?.name ?? "e2e")}--${slug(ctx.task.name)}`);
      rmSync(dest, { recursive: true, force: true });
      mkdirSync(dest, { recursive: true });
      t.pool.saveLogs(dest);
      cpSync(t.dir, join(dest, "files"), { recursive: true, verbatimSymlinks: true });
    }
    await closeDatabase(t.db);
    rmSync(t.dir, { recursive: true, force: true });
    if (left.length > 0 || strays.length > 0)
      throw new Error(
        `the test left processes behind: ${[...left, ...strays.map((s) => `pid ${s.pid}: ${s.command}`)].join("; ")}`,
      );
  });
  afterAll(() => {
    const strays = processesMentioning(root);
    rmSync(root, { recursive: true, force: true });
    if (strays.length > 0)
      throw new Error(
        `processes outlived the suite: ${strays.map((s) => `${s.pid}: ${s.command}`).join("; ")}`,
      );
  });
  return t;
}
