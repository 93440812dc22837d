import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * How often the checkpointer thread looks for new commits, and the WAL size (pages) at which a
 * connection checkpoints by itself on commit while a checkpointer runs: a fallback bound on the
 * WAL should the thread fall behind. SQLite's own default is 1,000 pages.
 */
export const CHECKPOINT_POLL_MS = 20;
export const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * The thread's code. It has its own connection to the file and runs a PASSIVE checkpoint
 * (never waits for readers or writers) whenever a connection has committed since its last look
 * (PRAGMA data_version moves). A checkpoint that finds the checkpoint lock taken (another
 * process's) is skipped; the next commit brings another.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 0, fileMustExist: true });
db.pragma("busy_timeout = 0");
db.pragma("cache_size = -64");
const version = db.prepare("PRAGMA data_version").pluck();
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
let seen = -1;
const timer = setInterval(() => {
  try {
    const v = version.get();
    if (v === seen) return;
    seen = v;
    checkpoint.get();
  } catch {}
}, workerData.pollMs);
parentPort.on("message", () => {
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.close();
});
`;

export interface Checkpointer {
  /** Stops the thread and closes its connection; resolves once it has exited. */
  stop(): Promise<void>;
  /** The thread itself (tests end it to prove the fallback). */
  readonly thread: Worker;
}

/**
 * Starts a thread that checkpoints the WAL of the database at `path` in the background.
 * SQLite's auto-checkpoint runs inside the COMMIT of the connection that crosses the WAL
 * threshold, on its thread, and ends with a fsync of the database file (see
 * SqliteBackend.startCheckpointer). Here that work and its wait run on another thread; the
 * caller raises its own connection's threshold to FALLBACK_AUTOCHECKPOINT_PAGES, so the WAL
 * stays bounded if the thread cannot keep up or dies.
 */
export function startCheckpointer(path: string, onDied: () => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const thread = new Worker(THREAD_CODE, {
    eval: true,
    workerData: { path, driver, pollMs: CHECKPOINT_POLL_MS },
    // It holds a connection and a timer: a small heap is plenty.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  thread.unref();
  // A thread that fails (the file removed, say) only ends the background checkpoints: the
  // caller is told, to give its connection SQLite's own auto-checkpoint back.
  let stopping = false;
  thread.on("error", () => {});
  const exited = new Promise<void>((resolve) =>
    thread.once("exit", () => {
      if (!stopping) onDied();
      resolve();
    }),
  );
  return {
    thread,
    stop: async () => {
      stopping = true;
      // Referenced again while it stops: waiting on an unreferenced thread alone would let the
      // process exit with the stop unsettled.
      thread.ref();
      thread.postMessage("stop");
      await exited;
    },
  };
}
