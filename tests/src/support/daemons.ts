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
  exited: Promise<number | null>;
}

/**
 * Starts real daemons as child processes and keeps their output. `saveLogs(dir)` writes every
 * daemon's output (call it when a test fails); `stopAll` ends them; `leftovers` lists any still
 * alive, so a suite can fail when it leaves a process behind.
 */
export class DaemonPool {
  readonly daemons: Daemon[] = [];

  start(name: string, entry: string, args: string[], env: Record<string, string> = {}): Daemon {
    const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HIVE_LOG_LEVEL: "info", ...env },
    });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const d: Daemon = { name, child, output: () => out, exited };
    this.daemons.push(d);
    return d;
  }

  saveLogs(dir: string): void {
    mkdirSync(dir, { recursive: true });
    for (const [i, d] of this.daemons.entries()) writeFileSync(join(dir, `${i}-${d.name}.log`), d.output());
  }

  leftovers(): Daemon[] {
    return this.daemons.filter((d) => d.child.exitCode === null && d.child.signalCode === null);
  }

  async stopAll(graceMs = 15_000): Promise<void> {
    await Promise.all(
      this.leftovers().map(async (d) => {
        const t = setTimeout(() => d.child.kill("SIGKILL"), graceMs);
        d.child.kill("SIGTERM");
        await d.exited;
        clearTimeout(t);
      }),
    );
  }
}
