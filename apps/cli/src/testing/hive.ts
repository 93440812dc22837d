import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The real `hive` bin: tests run it as a process, as an operator would. */
export const HIVE_BIN = fileURLToPath(new URL("../../bin/hive.mjs", import.meta.url));

export interface HiveResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Children started by these helpers that are still running (a test fails if any is left). */
export const liveChildren = (): ChildProcess[] =>
  [...live].filter((c) => c.exitCode === null && c.signalCode === null);

/**
 * The environment of a child: ours without HIVE_* variables (a developer's HIVE_DB_PATH must not
 * leak into a test), NO_COLOR so output is plain, plus `extra`.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("HIVE_")) env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

function spawnHive(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [HIVE_BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: childEnv(env),
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

/** Runs `hive …args` to the end; SIGKILLed after `timeoutMs` (then code is null). */
export function runHive(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 90_000,
): Promise<HiveResult> {
  const child = spawnHive(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
  });
  child.stderr!.on("data", (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `runHive` with --json, parsing stdout (throws with the output when it is not JSON). */
export async function runHiveJson<T = unknown>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await runHive([...args, "--json"], env);
  if (r.code !== 0) throw new Error(`hive ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`hive ${args.join(" ")} printed no JSON: ${r.stdout}\n${r.stderr}`);
  }
}

/** A long-running `hive` (the dashboard). */
export interface RunningHive {
  child: ChildProcess;
  output: () => string;
  /** Waits until the output matches; rejects with the output on timeout or exit. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves with the exit code (or the signal's name). */
  stop: (graceMs?: number) => Promise<number | string | null>;
  exited: Promise<number | string | null>;
}

/** Starts `hive …args` and keeps it running. */
export function startHive(args: string[], env: Record<string, string> = {}): RunningHive {
  const child = spawnHive(args, env);
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const w of waiters) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | string | null>((r) =>
    child.once("exit", (code, signal) => r(code ?? signal)),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(pattern);
        if (m) {
          done();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${pattern} in:\n${out}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      void exited.then((code) => {
        if (waiters.has(check)) {
          done();
          reject(new Error(`hive exited (${code}) before printing ${pattern}:\n${out}`));
        }
      });
      check();
    });
  const stop = async (graceMs = 20_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited;
    const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.kill("SIGTERM");
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  return { child, output: () => out, waitFor, stop, exited };
}

/** Polls `predicate` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
