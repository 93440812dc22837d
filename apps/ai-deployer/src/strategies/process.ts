import { spawn } from "node:child_process";

export interface RunResult {
  code: number | null;
  timedOut: boolean;
  aborted: boolean;
  output: string;
}

const MAX_OUTPUT = 1_000_000;

/**
 * Runs argv (no shell) in its own process group; on timeout or abort the whole group gets
 * SIGTERM, then SIGKILL after 2 s. Output (stdout and stderr) is kept, its last 1 MB at most.
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
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const append = (d: Buffer) => {
      const s = String(d);
      output = (output + s).slice(-MAX_OUTPUT);
      for (const line of s.split("\n")) if (line) opts.onLine?.(line);
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const kill = () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, 2000).unref();
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
    opts.signal.addEventListener("abort", onAbort, { once: true });
    child.on("error", (err) => {
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
      resolve({ code: null, timedOut, aborted, output: `${output}${err.message}\n` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      opts.signal.removeEventListener("abort", onAbort);
      resolve({ code, timedOut, aborted, output });
    });
  });
}

/** A small environment for deployment commands: PATH and HOME, plus what the payload sets. */
export function commandEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG ?? "C.UTF-8", ...extra };
}
