/** Hive itself, through its public API: createTask / createTasks, and its Worker in the children. */
import type { Database } from "@hive/orchestration";
import { hive, hiveModuleSource } from "../hiveModule.ts";
import { packageVersion } from "../versions.ts";
import { HIVE_PG_LANES, HIVE_PG_PREFETCH, HIVE_PREFETCH } from "../workers/hive.ts";
import {
  type Counter,
  dropSchema,
  expectCount,
  pgCounter,
  pgSchemaName,
  pgUrlOf,
  removeSqlite,
  sqliteCounter,
  sqlitePath,
} from "./stores.ts";
import type { Backend, BenchContext, Store, System, WorkerTarget } from "./types.ts";

/** A fresh Hive database: the handle, how a worker process opens it, and how to remove it. */
export interface HiveDatabase {
  db: Database;
  target: WorkerTarget;
  counter: () => Promise<Counter>;
  remove: () => Promise<void>;
}

export async function openHiveDatabase(ctx: BenchContext, backend: Backend): Promise<HiveDatabase> {
  const { closeDatabase, openDatabase } = await hive();
  if (backend === "sqlite") {
    const path = sqlitePath(ctx, "hive");
    const db = await openDatabase({ path });
    return {
      db,
      target: { worker: "hive", backend, path },
      counter: async () => sqliteCounter(path),
      remove: async () => {
        await closeDatabase(db);
        removeSqlite(path);
      },
    };
  }
  const url = pgUrlOf(ctx);
  const schema = pgSchemaName(ctx, "hive");
  const db = await openDatabase({ url, schema, poolSize: 4 });
  return {
    db,
    target: { worker: "hive", backend, url, schema },
    counter: () => pgCounter(url, schema),
    remove: async () => {
      await closeDatabase(db);
      await dropSchema(url, schema);
    },
  };
}

/** Database-side proof of exactly-once for `n` no-op tasks: all completed, one attempt, one run each. */
export async function verifyHiveTasks(counter: Counter, n: number): Promise<string[]> {
  const problems: string[] = [];
  expectCount(problems, "tasks", await counter.count("SELECT count(*) FROM tasks"), n);
  expectCount(
    problems,
    "completed tasks",
    await counter.count("SELECT count(*) FROM tasks WHERE status = 'completed'"),
    n,
  );
  expectCount(
    problems,
    "tasks with more than one attempt",
    await counter.count("SELECT count(*) FROM tasks WHERE attempts <> 1"),
    0,
  );
  expectCount(
    problems,
    "completed runs",
    await counter.count("SELECT count(*) FROM runs WHERE status = 'completed'"),
    n,
  );
  expectCount(problems, "runs", await counter.count("SELECT count(*) FROM runs"), n);
  return problems;
}

export function hiveSystem(backend: Backend): System {
  return {
    id: "hive",
    label: "Hive",
    backend,
    role: "hive",
    version: `@hive/orchestration ${packageVersion("@hive/orchestration")} (${hiveModuleSource()})`,
    settings: `${
      backend === "sqlite"
        ? `Worker prefetch ${HIVE_PREFETCH} (claims and group commits of up to concurrency + prefetch), idle poll 10→250 ms; WAL, synchronous=NORMAL`
        : `Worker commitLanes ${HIVE_PG_LANES} (its default here) and prefetch ${HIVE_PG_LANES - 1} × concurrency + ${HIVE_PG_LANES * HIVE_PG_PREFETCH} (${HIVE_PG_LANES} group commits in flight, each with its claim, of up to concurrency + ${HIVE_PG_PREFETCH}), LISTEN/NOTIFY wake-ups, pool 10`
    }`,
    async open(ctx): Promise<Store> {
      const { countTasksByStatus, createTask, createTasks } = await hive();
      const h = await openHiveDatabase(ctx, backend);
      const counter = await h.counter();
      const task = (i: number) => ({ title: `t${i}`, taskType: "bench", payload: { i } });
      return {
        target: h.target,
        enqueueOne: async (i) => {
          await createTask(h.db, task(i));
        },
        enqueueBatch: async (from, count) => {
          await createTasks(
            h.db,
            Array.from({ length: count }, (_, k) => task(from + k)),
          );
        },
        countDone: async () => (await countTasksByStatus(h.db)).completed,
        verify: (n) => verifyHiveTasks(counter, n),
        close: async () => {
          await counter.close();
          await h.remove();
        },
      };
    },
  };
}
