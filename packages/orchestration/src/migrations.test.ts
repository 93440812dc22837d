import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Sqlite from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { describe, expect, it } from "vitest";
import { claimTasks, completeTask } from "./claims.ts";
import { closeDatabase, openDatabase } from "./db.ts";
import { checkDatabase } from "./integrity.ts";
import { SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import { PG_MIGRATIONS_DIR } from "./postgres.ts";
import { getTask } from "./tasks.ts";
import { makeWorker } from "./testing/fixtures.ts";
import { testBackend } from "./testing/tempdb.ts";

const drizzleKit = resolve(import.meta.dirname, "../../../node_modules/.bin/drizzle-kit");

function upToDate(dialect: "sqlite" | "postgresql", folder: string, schemaFile: string): void {
  const dir = mkdtempSync(join(tmpdir(), "hive-migrations-"));
  try {
    cpSync(folder, join(dir, "migrations"), { recursive: true });
    const before = readdirSync(join(dir, "migrations")).sort();
    const out = execFileSync(
      drizzleKit,
      [
        "generate",
        "--dialect",
        dialect,
        "--schema",
        resolve(import.meta.dirname, schemaFile),
        "--out",
        "./migrations",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    const after = readdirSync(join(dir, "migrations")).sort();
    expect(after, `${schemaFile} changed without generating a migration`).toEqual(before);
    expect(out).toContain("No schema changes");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Runs once, in the SQLite pass: it checks both migration folders against both schema files with
// drizzle-kit, which needs no database; the PostgreSQL pass would only repeat it.
describe.skipIf(testBackend === "postgres")("migrations", () => {
  it("are up to date with schema.ts (drizzle-kit generates nothing new)", () => {
    upToDate("sqlite", SQLITE_MIGRATIONS_DIR, "schema.ts");
  });

  it("for PostgreSQL are up to date with schema.pg.ts", () => {
    upToDate("postgresql", PG_MIGRATIONS_DIR, "schema.pg.ts");
  });
});

/** A copy of the SQLite migrations folder holding only its first `n` migrations. */
function firstMigrations(dir: string, n: number): string {
  const out = join(dir, "migrations");
  cpSync(SQLITE_MIGRATIONS_DIR, out, { recursive: true });
  const path = join(out, "meta/_journal.json");
  const journal = JSON.parse(readFileSync(path, "utf8")) as { entries: { tag: string }[] };
  for (const e of journal.entries.slice(n)) rmSync(join(out, `${e.tag}.sql`));
  writeFileSync(path, JSON.stringify({ ...journal, entries: journal.entries.slice(0, n) }));
  return out;
}

describe.skipIf(testBackend === "postgres")("an upgraded database", () => {
  it("keeps releasing the dependents of edges written before tasks had dependents_version", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-upgrade-"));
    try {
      const file = join(dir, "hive.db");
      const old = new Sqlite(file);
      migrate(drizzle(old), { migrationsFolder: firstMigrations(dir, 6) });
      const insert = old.prepare(
        "INSERT INTO tasks (id, title, task_type, status, pending_deps, created_at, updated_at, run_at) VALUES (?, ?, 't', ?, ?, 1, 1, 1)",
      );
      insert.run("dep", "dep", "queued", 0);
      insert.run("after", "after", "blocked", 1);
      old.prepare("INSERT INTO task_dependencies (task_id, depends_on_id) VALUES ('after', 'dep')").run();
      old.close();

      const db = await openDatabase({ path: file });
      try {
        const [c] = await claimTasks(db, { workerId: await makeWorker(db) });
        expect(c!.task.id).toBe("dep");
        await completeTask(db, { taskId: "dep", token: c!.token });
        expect((await getTask(db, "after"))!.status).toBe("queued");
        expect(await checkDatabase(db)).toMatchObject({ dependencyCounterMismatches: 0 });
      } finally {
        await closeDatabase(db);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
