import { cp, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { withTargetLock } from "../deployment/lock.ts";
import type { LocalPayload } from "../deployment/payload.ts";
import { insideRoot } from "../deployment/payload.ts";
import {
  clearJournal,
  currentRelease,
  pruneReleases,
  recoverTarget,
  releasesDir,
  stampRelease,
  switchCurrent,
  tempReleasePath,
  writeJournal,
} from "../deployment/releases.ts";
import { checkHealth } from "./health.ts";
import {
  type DeployContext,
  DeploymentAbortedError,
  DeploymentFailedError,
  type DeployResult,
  type DeployStrategy,
} from "./types.ts";

async function deployLocked(
  payload: LocalPayload,
  targetDir: string,
  ctx: DeployContext,
): Promise<DeployResult> {
  const dir = releasesDir(targetDir);
  recoverTarget(targetDir, ctx.log);
  const previous = currentRelease(targetDir);
  const finalPath = join(dir, ctx.releaseId);
  if (previous === ctx.releaseId)
    throw new DeploymentFailedError(`release ${ctx.releaseId} is already current`, false, previous);
  const tmp = tempReleasePath(dir, ctx.releaseId);
  ctx.log(`copying ${payload.artifact} -> releases/${ctx.releaseId}`);
  try {
    await cp(payload.artifact, tmp, { recursive: true, verbatimSymlinks: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw new DeploymentFailedError(
      `copying the artifact failed: ${(err as Error).message}`,
      false,
      previous,
    );
  }
  if (ctx.signal.aborted) {
    await rm(tmp, { recursive: true, force: true });
    throw new DeploymentAbortedError(
      "deployment aborted before the switch; nothing changed",
      false,
      previous,
    );
  }
  await rm(finalPath, { recursive: true, force: true }); // a leftover of an earlier try of this attempt id
  await rename(tmp, finalPath);
  stampRelease(finalPath);
  // The journal goes first: if we die after the switch, the next deployment knows that `current`
  // points at an unverified release and puts `previous` back.
  writeJournal(targetDir, { release: ctx.releaseId, previous });
  switchCurrent(targetDir, ctx.releaseId);
  ctx.log(`current -> releases/${ctx.releaseId} (previous: ${previous ?? "none"})`);
  const health = payload.healthCheck
    ? await checkHealth(payload.healthCheck, finalPath, ctx.signal, ctx.log)
    : ctx.signal.aborted
      ? { ok: false as const, aborted: true, problem: "deployment aborted" }
      : { ok: true as const };
  if (!health.ok) {
    switchCurrent(targetDir, previous);
    await rm(finalPath, { recursive: true, force: true });
    clearJournal(targetDir);
    const back = `rolled back to ${previous ?? "no release"}`;
    ctx.log(`${back}: ${health.problem}`);
    if (health.aborted) throw new DeploymentAbortedError(`${health.problem}; ${back}`, true, previous);
    throw new DeploymentFailedError(`${health.problem}; ${back}`, true, previous);
  }
  clearJournal(targetDir);
  const removed = pruneReleases(dir, payload.keepReleases, ctx.releaseId);
  if (removed.length > 0) ctx.log(`removed old releases: ${removed.join(", ")}`);
  return { releaseId: ctx.releaseId, releasePath: finalPath, previousReleaseId: previous };
}

/**
 * Copies the artifact into releases/<id> (under a temp name, so a half copy never has the final
 * name), switches `current` atomically, runs the health check, and switches back to the previous
 * release when it fails or the deployment is aborted. One deployment per target at a time; a
 * deployer killed at any point leaves `current` on a complete release (see deployment/releases.ts).
 */
export const localStrategy: DeployStrategy<LocalPayload> = {
  name: "local",
  async deploy(payload, ctx) {
    const targetDir = insideRoot(ctx.root, payload.target, "target");
    releasesDir(targetDir); // creates the target, refuses a releases/ that is a symlink
    return withTargetLock(targetDir, ctx.signal, ctx.log, () => deployLocked(payload, targetDir, ctx));
  },
};
