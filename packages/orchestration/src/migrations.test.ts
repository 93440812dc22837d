import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import { PG_MIGRATIONS_DIR } from "./postgres.ts";
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
