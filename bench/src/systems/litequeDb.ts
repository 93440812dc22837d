/**
 * liteque on a connection it can use. liteque 0.8 runs async drizzle transactions, which
 * better-sqlite3 ≥ 11.10 rejects ("Transaction function cannot return a promise"), so its
 * queue gets a drizzle client over better-sqlite3 11.9.1 (the `better-sqlite3-old` alias) with
 * the pragmas of liteque's own buildDBClient. The drizzle module is liteque's own copy (0.33),
 * loaded from beside it, so its tables and its client come from one drizzle.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import OldSqlite from "better-sqlite3-old";
import { migrateDB, SqliteQueue } from "liteque";

type Drizzle = (client: OldSqlite.Database) => ConstructorParameters<typeof SqliteQueue>[1];

async function litequeDrizzle(): Promise<Drizzle> {
  const require = createRequire(import.meta.url);
  const fromLiteque = createRequire(require.resolve("liteque"));
  // drizzle-orm exports no ./package.json; its main entry sits at the package root.
  const root = dirname(fromLiteque.resolve("drizzle-orm"));
  const mod = (await import(pathToFileURL(join(root, "better-sqlite3/index.js")).href)) as {
    drizzle: Drizzle;
  };
  return mod.drizzle;
}

export interface LitequeHandle {
  queue: SqliteQueue<{ i: number }>;
  close(): void;
}

/** Opens (and with `migrate`, creates) the liteque database at `path`, queue "bench". */
export async function openLiteque(path: string, migrate: boolean): Promise<LitequeHandle> {
  const sqlite = new OldSqlite(path, { timeout: 10_000 });
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("cache_size = -65536");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("temp_store = MEMORY");
  const db = (await litequeDrizzle())(sqlite);
  if (migrate) migrateDB(db);
  const queue = new SqliteQueue<{ i: number }>("bench", db, {
    defaultJobArgs: { numRetries: 0 },
    keepFailedJobs: true,
  });
  return { queue, close: () => sqlite.close() };
}
