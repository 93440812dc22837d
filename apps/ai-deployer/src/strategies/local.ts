import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { LocalPayload } from "../deployment/payload.ts";
import { insideRoot } from "../deployment/payload.ts";
import { commandEnv, runCommand } from "./process.ts";
import {
  type DeployContext,
  DeploymentAbortedError,
  DeploymentFailedError,
  type DeployStrategy,
} from "./types.ts";

const rand = () => Math.random().toString(36).slice(2, 10);

/** Points `current` at `release` (a name under releases/, or null to remove it) atomically. */
function switchCurrent(targetDir: string, release: string | null): void {
  const current = join(targetDir, "current");
  if (release === null) {
    rmSync(current, { force: true });
    return;
  }
  const tmp = join(targetDir, `.current-${rand()}`);
  symlinkSync(join("releases", release), tmp);
  renameSync(tmp, current); // rename(2) replaces the old link in one step
}

function currentRelease(targetDir: string): string | null {
  try {
    return basename(readlinkSync(join(targetDir, "current")));
  } catch {
    return null;
  }
}

async function healthy(
  payload: LocalPayload,
  releasePath: string,
  ctx: DeployContext,
): Promise<string | null> {
  const h = payload.healthCheck;
  if (!h) return null;
  let last = "";
  for (let attempt = 0; attempt <= h.retries; attempt++) {
    if (ctx.signal.aborted) return "aborted";
    if (h.command) {
      const r = await runCommand(h.command, {
        cwd: releasePath,
        env: commandEnv({}),
        timeoutMs: h.timeoutMs,
        signal: ctx.signal,
        onLine: ctx.log,
      });
      if (r.aborted) return "aborted";
      if (r.code === 0) return null;
      last = r.timedOut
        ? `health check timed out after ${h.timeoutMs} ms`
        : `health check exited with code ${r.code}`;
    } else if (h.url) {
      try {
        const res = await fetch(h.url, {
          signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(h.timeoutMs)]),
        });
        if (res.ok) return null;
        last = `health check ${h.url} answered ${res.status}`;
      } catch (err) {
        if (ctx.signal.aborted) return "aborted";
        last = `health check ${h.url} failed: ${(err as Error).message}`;
      }
    }
    ctx.log(last);
    if (attempt < h.retries) await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
  }
  return last;
}

/** Keeps the newest `keep` releases, never the current or previous one; removes leftover temp copies. */
function prune(releasesDir: string, keep: number, protect: (string | null)[]): void {
  const entries = readdirSync(releasesDir);
  for (const e of entries)
    if (e.startsWith(".tmp-")) rmSync(join(releasesDir, e), { recursive: true, force: true });
  const releases = entries
    .filter((e) => !e.startsWith("."))
    .map((e) => ({ e, t: statSync(join(releasesDir, e)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { e } of releases.slice(keep))
    if (!protect.includes(e)) rmSync(join(releasesDir, e), { recursive: true, force: true });
}

/**
 * Copies the artifact into releases/<id> (through a temp name, so a half copy never has the final
 * name), switches `current` atomically, runs the health check, and switches back to the previous
 * release when it fails or the deployment is aborted. A SIGKILL at any point leaves `current` on a
 * complete release.
 */
export const localStrategy: DeployStrategy<LocalPayload> = {
  name: "local",
  async deploy(payload, ctx) {
    const targetDir = insideRoot(ctx.root, payload.target, "target");
    const releasesDir = join(targetDir, "releases");
    mkdirSync(releasesDir, { recursive: true });
    const previous = currentRelease(targetDir);
    const finalPath = join(releasesDir, ctx.releaseId);
    const tmp = join(releasesDir, `.tmp-${ctx.releaseId}-${rand()}`);
    cpSync(payload.artifact, tmp, { recursive: true });
    if (ctx.signal.aborted) {
      rmSync(tmp, { recursive: true, force: true });
      throw new DeploymentAbortedError("aborted before the switch; nothing changed", false, previous);
    }
    if (existsSync(finalPath)) {
      if (previous === ctx.releaseId)
        throw new DeploymentFailedError(`release ${ctx.releaseId} is already current`, false, previous);
      rmSync(finalPath, { recursive: true, force: true });
    }
    renameSync(tmp, finalPath);
    switchCurrent(targetDir, ctx.releaseId);
    ctx.log(`current -> releases/${ctx.releaseId} (previous: ${previous ?? "none"})`);
    const problem = await healthy(payload, finalPath, ctx);
    if (problem !== null) {
      switchCurrent(targetDir, previous);
      ctx.log(`rolled back to ${previous ?? "no release"}: ${problem}`);
      if (problem === "aborted" || ctx.signal.aborted)
        throw new DeploymentAbortedError(
          `deployment aborted; rolled back to ${previous ?? "no release"}`,
          true,
          previous,
        );
      throw new DeploymentFailedError(
        `${problem}; rolled back to ${previous ?? "no release"}`,
        true,
        previous,
      );
    }
    prune(releasesDir, payload.keepReleases, [ctx.releaseId, previous]);
    return {
      releaseId: ctx.releaseId,
      releasePath: finalPath,
      previousReleaseId: previous,
      rolledBack: false,
      output: "",
    };
  },
};
