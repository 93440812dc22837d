import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The top-level migrations/ folder of the repository (SQLite). */
export const SQLITE_MIGRATIONS_DIR = resolve(here, "../../../migrations");

interface Journal {
  entries: { idx: number; when: number; tag: string }[];
}

/** The newest migration this code knows (drizzle records its `when` as created_at). */
export function latestKnownMigration(folder: string): { count: number; when: number } {
  const path = resolve(folder, "meta/_journal.json");
  if (!existsSync(path)) return { count: 0, when: 0 };
  const journal = JSON.parse(readFileSync(path, "utf8")) as Journal;
  const when = Math.max(0, ...journal.entries.map((e) => e.when));
  return { count: journal.entries.length, when };
}
