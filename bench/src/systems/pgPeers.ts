/** The PostgreSQL queues a user would pick instead: graphile-worker and pg-boss. */
import { makeWorkerUtils } from "graphile-worker";
import PgBoss from "pg-boss";
import { packageVersion } from "../versions.ts";
import { GRAPHILE_PRESET } from "../workers/graphile.ts";
import { PGBOSS_BATCH, PGBOSS_POLL_S } from "../workers/pgboss.ts";
import { dropSchema, expectCount, pgCounter, pgSchemaName, pgUrlOf } from "./stores.ts";
import type { Store, System } from "./types.ts";

export function graphileSystem(concurrency: number): System {
  return {
    id: "graphile-worker",
    label: "graphile-worker, batched",
    backend: "postgres",
    role: "peer",
    version: `graphile-worker ${packageVersion("graphile-worker")}`,
    settings: `concurrency ${concurrency}, localQueue.size ${GRAPHILE_PRESET.localQueue.size}, completeJobBatchDelay ${GRAPHILE_PRESET.completeJobBatchDelay}, failJobBatchDelay ${GRAPHILE_PRESET.failJobBatchDelay} (its performance page's batching), LISTEN/NOTIFY; enqueue batch = addJobs`,
    async open(ctx): Promise<Store> {
      const url = pgUrlOf(ctx);
      const schema = pgSchemaName(ctx, "graphile");
      const utils = await makeWorkerUtils({ connectionString: url, schema });
      await utils.migrate();
      const counter = await pgCounter(url, schema);
      let enqueued = 0;
      // Completed jobs are deleted: done = enqueued − left.
      const left = () => counter.count("SELECT count(*) FROM _private_jobs");
      return {
        target: { worker: "graphile", url, schema },
        enqueueOne: async (i) => {
          await utils.addJob("bench", { i });
          enqueued++;
        },
        enqueueBatch: async (from, count) => {
          await utils.addJobs(
            Array.from({ length: count }, (_, k) => ({ identifier: "bench", payload: { i: from + k } })),
          );
          enqueued += count;
        },
        countDone: async () => enqueued - (await left()),
        verify: async (n) => {
          const problems: string[] = [];
          expectCount(problems, "jobs enqueued", enqueued, n);
          expectCount(problems, "jobs left", await left(), 0);
          return problems;
        },
        close: async () => {
          await counter.close();
          await utils.release();
          await dropSchema(url, schema);
        },
      };
    },
  };
}

export function pgBossSystem(concurrency: number): System {
  return {
    id: "pg-boss",
    label: "pg-boss",
    backend: "postgres",
    role: "peer",
    version: `pg-boss ${packageVersion("pg-boss")}`,
    settings: `${concurrency} work() loops, batchSize ${PGBOSS_BATCH}, pollingIntervalSeconds ${PGBOSS_POLL_S} (its minimum), supervise/schedule off; enqueue batch = insert()`,
    async open(ctx): Promise<Store> {
      const url = pgUrlOf(ctx);
      const schema = pgSchemaName(ctx, "pgboss");
      const boss = new PgBoss({ connectionString: url, schema, supervise: false, schedule: false, max: 4 });
      boss.on("error", () => {});
      await boss.start();
      await boss.createQueue("bench");
      const counter = await pgCounter(url, schema);
      const state = (s: string) =>
        counter.count("SELECT count(*) FROM job WHERE name = 'bench' AND state = $1", [s]);
      return {
        target: { worker: "pgboss", url, schema },
        enqueueOne: async (i) => {
          await boss.send("bench", { i });
        },
        enqueueBatch: async (from, count) => {
          await boss.insert(
            Array.from({ length: count }, (_, k) => ({ name: "bench", data: { i: from + k } })),
          );
        },
        countDone: () => state("completed"),
        verify: async (n) => {
          const problems: string[] = [];
          expectCount(problems, "jobs completed", await state("completed"), n);
          expectCount(
            problems,
            "jobs",
            await counter.count("SELECT count(*) FROM job WHERE name = 'bench'"),
            n,
          );
          return problems;
        },
        close: async () => {
          await counter.close();
          await boss.stop({ graceful: false, wait: true });
          await dropSchema(url, schema);
        },
      };
    },
  };
}
