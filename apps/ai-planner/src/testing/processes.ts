import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { waitUntil } from "@hive/orchestration/testing";
import { afterEach } from "vitest";

/** The real entry point: `bin/hive-planner.mjs`, as an operator runs it. */
export const BIN = resolve(import.meta.dirname, "../../bin/hive-planner.mjs");

export interface PlannerProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The JSON log lines written so far (pino, on stderr). */
  logs: () => Record<string, unknown>[];
  /** Resolves once the process has ended and its output is complete. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a log line matching `match` (message, and every given field). */
  waitForLog: (msg: string, fields?: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/**
 * The environment of a child: this process's, without any Hive or LLM setting inherited from the
 * shell or CI (a stray HIVE_DATABASE_URL or OPENAI_API_KEY must not change what a test runs), plus
 * `env`.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith("HIVE_") && k !== "OPENAI_API_KEY" && k !== "ANTHROPIC_API_KEY",
    ),
  );
  return { ...base, HIVE_LOG_LEVEL: "info", ...env };
}

function parseLogs(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a line still being written
    }
  }
  return out;
}

/**
 * Starts `hive-planner` processes for a test and checks after it that none is left running: a
 * leftover is killed and fails the test. On a failed test, every process's output is printed.
 */
export function usePlannerProcesses(): {
  start: (args: string[], env?: Record<string, string>) => PlannerProcess;
  run: (
    args: string[],
    env?: Record<string, string>,
  ) => Promise<{ code: number | null; stdout: string; stderr: string }>;
} {
  let started: PlannerProcess[] = [];
  afterEach(async (ctx) => {
    const all = started;
    started = [];
    const left = all.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of left) p.child.kill("SIGKILL");
    await Promise.all(left.map((p) => p.exited));
    if (ctx.task.result?.state === "fail")
      for (const [i, p] of all.entries())
        console.error(`--- planner process ${i} (pid ${p.child.pid}) ---\n${p.stdout()}${p.stderr()}`);
    if (left.length > 0) throw new Error(`${left.length} planner process(es) left running after the test`);
  });
  const start = (args: string[], env: Record<string, string> = {}): PlannerProcess => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: childEnv(env),
    });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    child.stderr?.on("data", (d) => {
      err += d;
    });
    // 'close' rather than 'exit': it comes after the output pipes are drained.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.once("close", (code, signal) => r({ code, signal })),
    );
    const logs = () => parseLogs(err);
    const p: PlannerProcess = {
      child,
      stdout: () => out,
      stderr: () => err,
      logs,
      exited,
      waitForLog: (msg, fields = {}) =>
        waitUntil(
          () =>
            logs().find((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v)) ??
            (child.exitCode !== null
              ? (() => {
                  throw new Error(`planner exited (${child.exitCode}) before logging "${msg}":\n${err}`);
                })()
              : undefined),
          `log "${msg}" ${JSON.stringify(fields)}`,
        ),
    };
    started.push(p);
    return p;
  };
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const p = start(args, env);
    const { code } = await p.exited;
    return { code, stdout: p.stdout(), stderr: p.stderr() };
  };
  return { start, run };
}
