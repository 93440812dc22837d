/** The SQLite queues a user would pick instead: plainjob and liteque, through their own APIs. */
import BetterSqlite3 from "better-sqlite3";
import { better, defineQueue, JobStatus } from "plainjob";
import { packageVersion } from "../versions.ts";
import { POLL_MS as LITEQUE_POLL_MS } from "../workers/liteque.ts";
import { POLL_MS as PLAINJOB_POLL_MS } from "../workers/plainjob.ts";
import { silentLogger } from "../workers/types.ts";
import { openLiteque } from "./litequeDb.ts";
import { expectCount, removeSqlite, sqlitePath } from "./stores.ts";
import type { Store, System } from "./types.ts";

export function plainjobSystem(concurrency: number): System {
  return {
    id: "plainjob",
    label: "plainjob",
    backend: "sqlite",
    role: "peer",
    version: `plainjob ${packageVersion("plainjob")} (better-sqlite3 ${packageVersion("better-sqlite3")})`,
    settings: `${concurrency} workers on the process's connection (a plainjob worker runs one job at a time), poll ${PLAINJOB_POLL_MS} ms when idle, its pragmas (WAL, synchronous=1); enqueue batch = addMany (one transaction)`,
    async open(ctx): Promise<Store> {
      const path = sqlitePath(ctx, "plainjob");
      const queue = defineQueue({ connection: better(new BetterSqlite3(path)), logger: silentLogger });
      return {
        target: { worker: "plainjob", path },
        enqueueOne: async (i) => {
          queue.add("bench", { i });
        },
        enqueueBatch: async (from, count) => {
          queue.addMany(
            "bench",
            Array.from({ length: count }, (_, k) => ({ i: from + k })),
          );
        },
        countDone: async () => queue.countJobs({ type: "bench", status: JobStatus.Done }),
        verify: async (n) => {
          const problems: string[] = [];
          expectCount(problems, "jobs done", queue.countJobs({ type: "bench", status: JobStatus.Done }), n);
          expectCount(problems, "jobs", queue.countJobs({ type: "bench" }), n);
          return problems;
        },
        close: async () => {
          queue.close();
          removeSqlite(path);
        },
      };
    },
  };
}

export function litequeSystem(concurrency: number): System {
  return {
    id: "liteque",
    label: "liteque",
    backend: "sqlite",
    role: "peer",
    version: `liteque ${packageVersion("liteque")} (better-sqlite3 11.9.1: liteque needs < 11.10)`,
    settings: `Runner concurrency ${concurrency}, pollIntervalMs ${LITEQUE_POLL_MS}, its buildDBClient pragmas (WAL, synchronous=NORMAL); no batch enqueue API`,
    async open(ctx): Promise<Store> {
      const path = sqlitePath(ctx, "liteque");
      const lq = await openLiteque(path, true);
      let enqueued = 0;
      const remaining = async () => {
        const s = await lq.queue.stats();
        return s.pending + s.pending_retry + s.running + s.failed;
      };
      return {
        target: { worker: "liteque", path },
        enqueueOne: async (i) => {
          await lq.queue.enqueue({ i });
          enqueued++;
        },
        // Completed jobs are deleted: done = enqueued − left.
        countDone: async () => enqueued - (await remaining()),
        verify: async (n) => {
          const problems: string[] = [];
          expectCount(problems, "jobs enqueued", enqueued, n);
          expectCount(problems, "jobs left (pending, running, failed)", await remaining(), 0);
          return problems;
        },
        close: async () => {
          lq.close();
          removeSqlite(path);
        },
      };
    },
  };
}
