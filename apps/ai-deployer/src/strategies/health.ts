import { abortableSleep } from "../abortable.ts";
import type { LocalPayload } from "../deployment/payload.ts";
import { commandEnv, runCommand } from "./process.ts";

export type HealthCheck = NonNullable<LocalPayload["healthCheck"]>;
export type HealthOutcome = { ok: true } | { ok: false; aborted: boolean; problem: string };

async function probeOnce(
  h: HealthCheck,
  cwd: string,
  signal: AbortSignal,
  log: (l: string) => void,
): Promise<string | null> {
  if (h.command) {
    const r = await runCommand(h.command, {
      cwd,
      env: commandEnv({}),
      timeoutMs: h.timeoutMs,
      signal,
      onLine: log,
    });
    if (r.code === 0 && !r.timedOut && !r.aborted) return null;
    if (r.error) return `health check could not run: ${r.error}`;
    return r.timedOut
      ? `health check timed out after ${h.timeoutMs} ms`
      : `health check exited with code ${r.code}`;
  }
  try {
    const res = await fetch(h.url!, {
      signal: AbortSignal.any([signal, AbortSignal.timeout(h.timeoutMs)]),
      redirect: "manual",
    });
    await res.body?.cancel();
    if (res.ok) return null;
    return `health check ${h.url} answered ${res.status}`;
  } catch (err) {
    return `health check ${h.url} failed: ${(err as Error).message}`;
  }
}

/**
 * Runs a release's health check (a command in its directory, or a GET of a URL), with its timeout
 * and retries; ends at once when `signal` aborts.
 */
export async function checkHealth(
  h: HealthCheck,
  cwd: string,
  signal: AbortSignal,
  log: (l: string) => void,
): Promise<HealthOutcome> {
  let problem = "";
  for (let attempt = 0; attempt <= h.retries; attempt++) {
    if (signal.aborted) break;
    const p = await probeOnce(h, cwd, signal, log);
    if (p === null && !signal.aborted) {
      log(`health check passed${h.url ? `: ${h.url}` : ""}`);
      return { ok: true };
    }
    if (signal.aborted) break;
    problem = p!;
    log(problem);
    if (attempt < h.retries) await abortableSleep(200 * (attempt + 1), signal);
  }
  if (signal.aborted)
    return { ok: false, aborted: true, problem: "deployment aborted during the health check" };
  return { ok: false, aborted: false, problem };
}
