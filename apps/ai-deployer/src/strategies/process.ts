import { spawn } from "node:child_process";

export interface RunResult {
  /** Exit code; null when killed by a signal or not started. */
  code: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** Why the program could not start (ENOENT…), if it did not. */
  error?: string;
  /** stdout and stderr interleaved, the last 1 MB at most. */
  output: string;
}

const MAX_OUTPUT = 1_000_000;
const KILL_GRACE_MS = 2000;

/**
 * Runs argv (no shell) in its own process group; on timeout or abort the whole group gets
 * SIGTERM, then SIGKILL after 2 s, so grandchildren (a shell's `sleep`) end with it.
 */
export function runCommand(
  argv: string[],
  opts: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    timeoutMs: number;
    signal: AbortSignal;
    onLine?: (l: string) => void;
  },
): Promise<RunResult> {
  return new Promise((resolve) => {
    let output = "";
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let partial = "";
    const append = (d: Buffer) => {
      const s = String(d);
      output = (output + s).slice(-MAX_OUTPUT);
      const lines = (partial + s).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line) opts.onLine?.(line);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const group = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => {
      group("SIGTERM");
      killTimer ??= setTimeout(() => group("SIGKILL"), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (opts.signal.aborted) onAbort();
    else opts.signal.addEventListener("abort", onAbort, { once: true });
    const finish = (r: Omit<RunResult, "timedOut" | "aborted" | "output">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
      if (partial) opts.onLine?.(partial);
      // Kill what is left of the group (a daemonised grandchild) once the leader is gone.
      if (killTimer) {
        clearTimeout(killTimer);
        group("SIGKILL");
      }
      resolve({ ...r, timedOut, aborted, output });
    };
    child.on("error", (err) => {
      output += `${err.message}\n`;
      finish({ code: null, error: err.message });
    });
    child.on("close", (code) => finish({ code }));
  });
}

/** A small environment for deployment commands: PATH and HOME, plus what the payload sets. */
export function commandEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? "C.UTF-8", ...extra };
}
