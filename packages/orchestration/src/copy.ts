import BetterSqlite3 from "better-sqlite3";
import { closeDatabase, openDatabase } from "./db.ts";
import { DatabaseOpenError, HiveError, SchemaVersionError } from "./errors.ts";
import { latestKnownMigration, SQLITE_MIGRATIONS_DIR } from "./migrations.ts";
import type { SqlParam } from "./sql.ts";
import { withTx } from "./tx.ts";

/** Tables in an order that satisfies every foreign key. */
const TABLES = [
  "planning_queue",
  "execution_plans",
  "tasks",
  "task_dependencies",
  "workers",
  "runs",
  "plan_execution",
];

/**
 * SQLite rows written before progress.ts cast its operand hold a plan's progress_percent from
 * real division (better-sqlite3 binds numbers as REAL): 33.33… for a plan part-way done; the
 * PostgreSQL column is an integer. Copied the way PostgreSQL computes it.
 */
function toPostgres(table: string, column: string, v: SqlParam): SqlParam {
  if (table === "plan_execution" && column === "progress_percent" && typeof v === "number")
    return Math.floor(v);
  return v;
}

export interface CopyResult {
  /** Rows copied per table. */
  rows: Record<string, number>;
}

/**
 * The source must be at this code's schema version: copied from an older file, columns added
 * since took their PostgreSQL defaults (a dependents_version of 0 left a dependent blocked for
 * ever), and a newer file's extra columns failed as a raw driver error.
 */
function sourceAtThisVersion(src: BetterSqlite3.Database, sourcePath: string): void {
  const known = latestKnownMigration(SQLITE_MIGRATIONS_DIR);
  const table = src
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")
    .get();
  const last = table
    ? Number(
        (
          src.prepare("SELECT max(created_at) AS last FROM __drizzle_migrations").get() as {
            last: number | null;
          }
        ).last ?? 0,
      )
    : 0;
  if (last > known.when)
    throw new SchemaVersionError(
      `the SQLite database "${sourcePath}" was migrated by a newer version of Hive than this one; copy it with that version`,
    );
  if (last < known.when)
    throw new DatabaseOpenError(
      `the SQLite database "${sourcePath}" is not fully migrated; migrate it first (\`pnpm db:migrate ${sourcePath}\`), then copy`,
    );
}

/**
 * Copies a SQLite database into PostgreSQL (migrated first), keeping ids, states, leases, runs and
 * edges, in one PostgreSQL transaction: all or nothing. Refuses a target that already holds tasks
 * or planning requests. The source is opened read-only and never changed.
 */
export async function copySqliteToPostgres(
  sourcePath: string,
  target: { url: string; schema?: string },
  options: { batchRows?: number } = {},
): Promise<CopyResult> {
  let src: BetterSqlite3.Database;
  try {
    src = new BetterSqlite3(sourcePath, { readonly: true, fileMustExist: true });
    src.prepare("SELECT count(*) FROM tasks").get();
    sourceAtThisVersion(src, sourcePath);
  } catch (err) {
    if (err instanceof DatabaseOpenError) throw err;
    throw new DatabaseOpenError(
      `cannot read the SQLite database "${sourcePath}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  const db = await openDatabase({ url: target.url, schema: target.schema, migrate: true });
  try {
    return await withTx(db, async (tx) => {
      const busy = await tx.ex.get<{ n: number }>(
        "SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM planning_queue) AS n",
      );
      if (Number(busy?.n ?? 0) > 0)
        throw new HiveError(
          "the PostgreSQL target already holds tasks or planning requests; copy into an empty schema",
        );
      const rows: Record<string, number> = {};
      for (const table of TABLES) {
        const cols = (src.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map(
          (c) => c.name,
        );
        const per = Math.max(1, Math.min(options.batchRows ?? 1000, Math.floor(60_000 / cols.length)));
        const values = `(${cols.map(() => "?").join(", ")})`;
        let batch: SqlParam[] = [];
        let inBatch = 0;
        let total = 0;
        const flush = async () => {
          if (inBatch === 0) return;
          await tx.ex.run(
            `INSERT INTO ${table} (${cols.join(", ")}) VALUES ${new Array(inBatch).fill(values).join(", ")}`,
            batch,
          );
          batch = [];
          inBatch = 0;
        };
        for (const r of src.prepare(`SELECT ${cols.join(", ")} FROM ${table}`).iterate() as Iterable<
          Record<string, SqlParam>
        >) {
          for (const c of cols) batch.push(toPostgres(table, c, r[c] ?? null));
          inBatch++;
          total++;
          if (inBatch >= per) await flush();
        }
        await flush();
        rows[table] = total;
      }
      return { rows };
    });
  } finally {
    src.close();
    await closeDatabase(db);
  }
}
