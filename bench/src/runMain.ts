/** Test helpers: runs `pnpm bench` (main.ts under tsx) as a process of its own; a saved report to start from. */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BackendResults } from "./results.ts";

export interface MainRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs main.ts with these arguments (and extra environment); `onStderr` sees its log as it comes. */
export function runMain(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<MainRun> {
  const tsx = createRequire(import.meta.url).resolve("tsx");
  const child = spawn(process.execPath, ["--import", tsx, join(import.meta.dirname, "main.ts"), ...argv], {
    env: { ...process.env, HIVE_BENCH_SMOKE: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
    onStderr?.(stderr, child);
  });
  return new Promise((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** A saved report of one backend with no rows, as an earlier run would have left it (`extra` on top). */
export function savedResults(
  backend: BackendResults["backend"],
  smoke: boolean,
  extra: Partial<BackendResults> = {},
): BackendResults {
  return {
    backend,
    smoke,
    command: "pnpm bench --smoke",
    startedAt: "2026-01-01T00:00:00Z",
    seconds: 1,
    skipped: null,
    errors: [],
    merged: null,
    environment: {},
    systems: [],
    enqueue: [],
    processing: [],
    latency: [],
    dag: [],
    memory: null,
    targets: [],
    ...extra,
  };
}
