import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDatabase, type Database, openDatabase } from "@hive/orchestration";
import { afterEach, beforeEach } from "vitest";

export interface TempDatabase {
  db: Database;
  /** The SQLite file, for child processes (`--db`). */
  path: string;
  dir: string;
}

/** A fresh migrated SQLite file in its own temp dir for each test, closed and removed after it. */
export function useTempDatabase(): TempDatabase {
  let current: TempDatabase | undefined;
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-planner-test-"));
    const path = join(dir, "hive.db");
    current = { db: await openDatabase({ path }), path, dir };
  });
  afterEach(async () => {
    if (!current) return;
    await closeDatabase(current.db);
    rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  return {
    get db() {
      return current!.db;
    },
    get path() {
      return current!.path;
    },
    get dir() {
      return current!.dir;
    },
  };
}
