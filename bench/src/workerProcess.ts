/**
 * A worker process seen from the benchmark: spawned as `node <bundle>` (child.ts compiled by
 * build.ts) with an IPC channel, driven by messages (open, go, stop, exit). Every process
 * spawned is tracked, so a run (and the smoke test) can prove none is left behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { basename, join } from "node:path";
import { version as esbuildVersion } from "esbuild";
import { buildWorkerBundle } from "./build.ts";
import type { FromChild, OpenSpec, ToChild } from "./protocol.ts";

interface Launcher {
  /** Arguments to `node`. */
  args: string[];
  /** How worker processes are started, for the report. */
  description: string;
}

/**
 * Compiled JavaScript, as a deployed worker runs, for every system alike. With
 * HIVE_BENCH_HIVE_MODULE (another copy of Hive's TypeScript sources, imported at run time) a
 * bundle cannot load that copy: the worker processes run child.ts under tsx's loader instead,
 * which adds ~40 MB of RSS to each (measured), so compare only runs with the same launcher.
 */
async function chooseLauncher(): Promise<Launcher> {
  if (process.env.HIVE_BENCH_HIVE_MODULE) {
    const tsx = createRequire(import.meta.url).resolve("tsx");
    return {
      args: ["--import", tsx, join(import.meta.dirname, "child.ts")],
      description:
        "node --import tsx src/child.ts (TypeScript loaded at run time: HIVE_BENCH_HIVE_MODULE is set, which a bundle cannot load; tsx's loader thread adds ~40 MB of RSS per process)",
    };
  }
  const bundle = await buildWorkerBundle();
  return {
    args: [bundle],
    description: `compiled JavaScript: node bench/.build/<hash>/${basename(bundle)} (child.ts and the workspace packages bundled by esbuild ${esbuildVersion}; no TypeScript loader)`,
  };
}

/** Chosen (and the bundle built) once, when the benchmark loads, before any run starts. */
const launcher = await chooseLauncher();

/** How worker processes are started, for the report's environment facts. */
export function workerLauncher(): string {
  return launcher.description;
}

const live = new Set<ChildProcess>();

/** Worker processes spawned by this process that have not exited. */
export function liveWorkerProcesses(): number {
  return live.size;
}

/** Kills every live worker process (a run interrupted by a signal); resolves once they are gone. */
export async function killWorkerProcesses(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          if (!child.kill("SIGKILL")) resolve();
        }),
    ),
  );
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly waiters = new Set<(m: FromChild) => boolean>();
  private stderr = "";
  private failure: Error | null = null;
  /** Handlers executed so far in the current run (from progress messages). */
  executed = 0;
  /** Wall-clock time (ms) the first handler of the current run started, once known. */
  firstAt: number | null = null;
  /** Wall-clock time (ms) each payload index started, in runs opened with reportStarts. */
  readonly starts = new Map<number, number>();
  readonly exited: Promise<void>;

  constructor() {
    this.child = spawn(process.execPath, launcher.args, {
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, NODE_ENV: "production" },
    });
    live.add(this.child);
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        live.delete(this.child);
        if (code !== 0 && !this.failure)
          this.fail(new Error(`worker process exited (${code ?? signal}): ${this.stderr.slice(-2000)}`));
        resolve();
      }),
    );
    this.child.stderr?.on("data", (d) => {
      this.stderr = (this.stderr + String(d)).slice(-20_000);
    });
    this.child.on("message", (m: FromChild) => {
      if (m.type === "progress") {
        this.executed = m.executed;
        this.firstAt = m.firstAt;
      } else if (m.type === "started") this.starts.set(m.i, m.at);
      else if (m.type === "error") this.fail(new Error(`worker process failed: ${m.message}`));
      for (const w of [...this.waiters]) if (w(m)) this.waiters.delete(w);
    });
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const w of [...this.waiters]) w({ type: "error", message: err.message });
    this.waiters.clear();
  }

  /** Throws if the process failed (reported an error or died). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  private send(m: ToChild): void {
    this.check();
    this.child.send(m);
  }

  private reply<T extends FromChild["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromChild, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `worker process: no "${type}" within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const waiter = (m: FromChild): boolean => {
        if (m.type === "error") {
          clearTimeout(timer);
          reject(this.failure ?? new Error(m.message));
          return true;
        }
        if (m.type !== type) return false;
        clearTimeout(timer);
        resolve(m as Extract<FromChild, { type: T }>);
        return true;
      };
      this.waiters.add(waiter);
      this.check();
    });
  }

  /** Opens the store in the child (connections, prepared statements); resolves with its RSS then. */
  async open(spec: OpenSpec, timeoutMs = 120_000): Promise<number> {
    this.executed = 0;
    this.firstAt = null;
    this.starts.clear();
    // Sent first: a dead process throws here, before a reply promise exists to reject unobserved
    // (the reply cannot arrive before this turn ends).
    this.send({ type: "open", spec });
    return (await this.reply("opened", timeoutMs)).rssBytes;
  }

  /** Starts consuming. */
  go(): void {
    this.send({ type: "go" });
  }

  /** Stops the worker; resolves with the payload indexes its handlers executed and its peak RSS. */
  async stop(timeoutMs = 120_000): Promise<{ executed: number[]; maxRssKb: number }> {
    this.send({ type: "stop" });
    const m = await this.reply("stopped", timeoutMs);
    return { executed: m.executed, maxRssKb: m.maxRssKb };
  }

  /** Ends the process (kills it if it does not leave within a few seconds). */
  async exit(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.connected)
      this.child.send({ type: "exit" } satisfies ToChild);
    const t = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(t);
  }
}
