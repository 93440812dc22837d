import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterEach, expect, onTestFailed } from "vitest";

const tsx = createRequire(import.meta.url).resolve("tsx");
const MAIN = join(import.meta.dirname, "..", "main.ts");

export interface DaemonProcess {
  child: ChildProcess;
  /** stdout and stderr so far (pino JSON lines). */
  output: () => string;
  /** Parsed log lines so far. */
  logs: () => Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the real deployer daemon (src/main.ts through tsx) as child processes. Their output is
 * printed when a test fails; a test that leaves one running fails after it has been killed.
 */
export function useDaemons() {
  const started: DaemonProcess[] = [];
  afterEach(async () => {
    const left = started.splice(0).filter((d) => d.child.exitCode === null && d.child.signalCode === null);
    for (const d of left) {
      d.child.kill("SIGKILL");
      await d.exited;
    }
    expect(
      left.map((d) => d.child.pid),
      "deployer processes left running",
    ).toEqual([]);
  });
  return {
    start(args: string[]): DaemonProcess {
      const child = spawn(process.execPath, ["--import", tsx, MAIN, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, HIVE_LOG_LEVEL: "debug" },
      });
      let out = "";
      child.stdout?.on("data", (d) => {
        out += d;
      });
      child.stderr?.on("data", (d) => {
        out += d;
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
        child.once("exit", (code, signal) => r({ code, signal })),
      );
      const d: DaemonProcess = {
        child,
        output: () => out,
        logs: () =>
          out
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map((l) => JSON.parse(l) as Record<string, unknown>),
        exited,
      };
      started.push(d);
      const n = started.length;
      onTestFailed(() => {
        console.error(`--- deployer ${n} (pid ${child.pid}) output ---\n${out}`);
      });
      return d;
    },
  };
}
