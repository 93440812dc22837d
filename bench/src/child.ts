/**
 * Entry of a worker process (spawned by workerProcess.ts with IPC). It loads only the worker
 * module of the system under test (so its memory is that system's), opens the store on "open",
 * starts consuming on "go", and on "stop" reports which payload indexes its handlers executed.
 */
import type { FromChild, OpenSpec, ToChild } from "./protocol.ts";
import { wallNow } from "./protocol.ts";
import type { WorkerModule } from "./systems/types.ts";
import type { OpenWorker, WorkerRun } from "./workers/types.ts";

const modules: Record<WorkerModule, () => Promise<{ openWorker: OpenWorker }>> = {
  hive: () => import("./workers/hive.ts"),
  "raw-sqlite": () => import("./workers/rawSqlite.ts"),
  plainjob: () => import("./workers/plainjob.ts"),
  liteque: () => import("./workers/liteque.ts"),
  graphile: () => import("./workers/graphile.ts"),
  pgboss: () => import("./workers/pgboss.ts"),
  "raw-pg": () => import("./workers/rawPg.ts"),
};

const PROGRESS_MS = 25;

function send(m: FromChild): void {
  process.send?.(m);
}

let run: WorkerRun | null = null;
let executed: number[] = [];
let reportStarts = false;
let ticker: NodeJS.Timeout | null = null;
let firstAt: number | null = null;

function onExecute(i: number): void {
  if (firstAt === null) firstAt = wallNow();
  executed.push(i);
  if (reportStarts) send({ type: "started", i, at: wallNow() });
}

async function open(spec: OpenSpec): Promise<void> {
  executed = [];
  firstAt = null;
  reportStarts = spec.reportStarts;
  const mod = await modules[spec.target.worker]();
  run = await mod.openWorker(spec, onExecute);
  send({ type: "opened", rssBytes: process.memoryUsage().rss });
}

async function go(): Promise<void> {
  let last = -1;
  ticker = setInterval(() => {
    if (executed.length !== last) {
      last = executed.length;
      send({ type: "progress", executed: last, firstAt });
    }
  }, PROGRESS_MS);
  await run?.start();
}

async function stop(): Promise<void> {
  if (ticker) clearInterval(ticker);
  await run?.stop();
  run = null;
  send({ type: "stopped", executed, maxRssKb: process.resourceUsage().maxRSS });
}

const handlers: Record<ToChild["type"], (m: ToChild) => Promise<void>> = {
  open: (m) => open((m as Extract<ToChild, { type: "open" }>).spec),
  go,
  stop,
  exit: async () => {
    process.disconnect?.();
  },
};

process.on("message", (m: ToChild) => {
  handlers[m.type](m).catch((err: unknown) => {
    send({ type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});
// The parent going away (killed, crashed) must not leave this process running.
process.on("disconnect", () => process.exit(0));
