import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const tsx = createRequire(import.meta.url).resolve("tsx");

/** Starts a TypeScript entry as a child process, its output appended to a log file. */
export function startChild(name: string, entry: string, args: string[], logDir: string): ChildProcess {
  mkdirSync(logDir, { recursive: true });
  const out = createWriteStream(join(logDir, `${name}.log`), { flags: "a" });
  const child = spawn(process.execPath, ["--import", tsx, entry, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env },
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return child;
}

/** SIGTERM to every child, then SIGKILL to those still alive after `graceMs`. */
export async function stopChildren(children: ChildProcess[], graceMs = 15_000): Promise<void> {
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(
    alive.map(
      (c) =>
        new Promise<void>((resolve) => {
          const t = setTimeout(() => c.kill("SIGKILL"), graceMs);
          c.once("exit", () => {
            clearTimeout(t);
            resolve();
          });
          c.kill("SIGTERM");
        }),
    ),
  );
}
