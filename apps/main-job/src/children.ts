import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tsx = createRequire(import.meta.url).resolve("tsx");

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts a TypeScript entry as a child process, its output appended to `<logDir>/<name>.log`. */
export function startChild(
  name: string,
  entry: string,
  args: string[],
  logDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Child {
  mkdirSync(logDir, { recursive: true });
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: "a" });
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...env },
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { name, process: child, logFile, exited };
}

/** Whether the child is still running. */
export const alive = (c: Child): boolean => c.process.exitCode === null && c.process.signalCode === null;

/** The last `lines` lines of a child's log, to show why it stopped. */
export function logTail(c: Child, lines = 15): string {
  try {
    return readFileSync(c.logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * SIGTERM to every child (they drain and exit), then SIGKILL to those still alive after
 * `graceMs`. Resolves once every child has exited, so the job never leaves a process behind.
 */
export async function stopChildren(children: Child[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    children.filter(alive).map(async (c) => {
      const t = setTimeout(() => c.process.kill("SIGKILL"), graceMs);
      c.process.kill("SIGTERM");
      await c.exited;
      clearTimeout(t);
    }),
  );
}
