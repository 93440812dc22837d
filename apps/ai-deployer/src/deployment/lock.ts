import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { abortableSleep } from "../abortable.ts";
import { DeploymentAbortedError } from "../strategies/types.ts";

const LOCK_FILE = ".deploy.lock";
const inProcess = new Map<string, Promise<void>>();

/** A process that still exists (EPERM: it exists, owned by someone else). */
function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

const aborted = () =>
  new DeploymentAbortedError("aborted while waiting for another deployment of this target", false, null);

/**
 * Takes the lock file of a target: created with link(2) from a file that already holds our pid,
 * so the lock never exists without its owner. A lock whose owner process is gone (a deployer
 * killed with SIGKILL) is taken over. Owners are compared by pid, so the root must be local to
 * this host; two takers of one stale lock at the same instant remain a (tiny) window.
 */
async function lockFile(
  targetDir: string,
  signal: AbortSignal,
  log: (l: string) => void,
): Promise<() => void> {
  const path = join(targetDir, LOCK_FILE);
  const mine = join(targetDir, `${LOCK_FILE}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`);
  writeFileSync(mine, String(process.pid));
  try {
    let waited = false;
    for (;;) {
      if (signal.aborted) throw aborted();
      try {
        linkSync(mine, path);
        return () => rmSync(path, { force: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, "utf8"));
      } catch {
        continue; // released meanwhile
      }
      // Our own pid: a leftover of this process (the in-process queue admits one holder at a time).
      if (owner === process.pid || !alive(owner)) {
        log(`taking over the lock of deployer process ${owner}, which is gone`);
        rmSync(path, { force: true });
        continue;
      }
      if (!waited) log(`waiting for deployer process ${owner} to finish its deployment of this target`);
      waited = true;
      await abortableSleep(100, signal);
    }
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Runs `fn` while holding the target's deployment lock: one deployment of a target at a time,
 * within this process (a queue) and across deployer processes on this host (a lock file in the
 * target). Waiting ends early with DeploymentAbortedError when `signal` aborts.
 */
export async function withTargetLock<T>(
  targetDir: string,
  signal: AbortSignal,
  log: (l: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const before = inProcess.get(targetDir) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => {
    release = r;
  });
  const chained = before.then(() => mine);
  inProcess.set(targetDir, chained);
  try {
    if (!signal.aborted)
      await Promise.race([before, new Promise<void>((r) => signal.addEventListener("abort", () => r()))]);
    if (signal.aborted) throw aborted();
    const unlock = await lockFile(targetDir, signal, log);
    try {
      return await fn();
    } finally {
      unlock();
    }
  } finally {
    release();
    if (inProcess.get(targetDir) === chained) inProcess.delete(targetDir);
  }
}
