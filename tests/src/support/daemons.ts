import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const tsx = createRequire(import.meta.url).resolve("tsx");
export const repoRoot = resolve(import.meta.dirname, "../../..");
export const entries = {
  planner: join(repoRoot, "apps/ai-planner/src/main.ts"),
  deployer: join(repoRoot, "apps/ai-deployer/src/main.ts"),
  agent: join(repoRoot, "apps/main-job/src/agentWorker.ts"),
  mainJob: join(repoRoot, "apps/main-job/src/main.ts"),
};

export interface Daemon {
  name: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code, or the signal's name when it was killed by one. */
  exited: Promise<number | string | null>;
}

/** Whether the daemon's process is still running. */
export const isAlive = (d: Daemon): boolean => d.child.exitCode === null && d.child.signalCode === null;

/**
 * Starts real daemons as child processes and keeps their output. `saveLogs(dir)` writes every
 * daemon's output (call it when a test fails); `stop`/`stopAll` end them gracefully; `kill`
 * SIGKILLs one; `leftovers` lists any still alive, so a suite can fail when it leaves a process
 * behind.
 */
export class DaemonPool {
  readonly daemons: Daemon[] = [];

  /**
   * `detached`: the daemon leads a process group of its own, as a command started from a shell
   * does, so that `process.kill(-pid, "SIGINT")` reaches it and its children, like Ctrl-C.
   */
  start(
    name: string,
    entry: string,
    args: string[],
    env: Record<string, string> = {},
    opts: { detached?: boolean } = {},
  ): Daemon {
    const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HIVE_LOG_LEVEL: "info", ...env },
      detached: opts.detached ?? false,
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | string | null>((r) =>
      child.once("exit", (code, signal) => r(code ?? signal)),
    );
    const d: Daemon = { name, child, output: () => out, exited };
    this.daemons.push(d);
    return d;
  }

  saveLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const [i, d] of this.daemons.entries())
      writeFileSync(join(dir, `${String(i).padStart(2, "0")}-${d.name}.log`), d.output());
  }

  leftovers(): Daemon[] {
    return this.daemons.filter(isAlive);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (0 for a clean drain). */
  async stop(d: Daemon, graceMs = 15_000): Promise<number | string | null> {
    if (!isAlive(d)) return d.exited;
    const t = setTimeout(() => d.child.kill("SIGKILL"), graceMs);
    d.child.kill("SIGTERM");
    const code = await d.exited;
    clearTimeout(t);
    return code;
  }

  /** SIGKILL (no chance to clean up, as in a crash); resolves once the process is gone. */
  async kill(d: Daemon): Promise<void> {
    d.child.kill("SIGKILL");
    await d.exited;
  }

  /** Stops every daemon still alive; resolves with name → exit code. */
  async stopAll(graceMs = 15_000): Promise<Record<string, number | string | null>> {
    const alive = this.leftovers();
    const codes = await Promise.all(alive.map((d) => this.stop(d, graceMs)));
    return Object.fromEntries(alive.map((d, i) => [d.name, codes[i] ?? null]));
  }
}
