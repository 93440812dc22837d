import { PermanentError, type TaskContext } from "@hive/orchestration";
import { parseDeploymentPayload } from "./deployment/payload.ts";
import { deployWith } from "./strategies/index.ts";
import { BadDeploymentError, DeploymentAbortedError } from "./strategies/types.ts";

/** Release ids become directory names: keep them to a safe alphabet. */
export const releaseIdFor = (taskId: string, attempt: number): string =>
  `${taskId}-${attempt}`.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 180);

/**
 * The deployment task handler: validates the payload against the root (a bad payload fails the
 * task at once, no retry), runs its strategy with the task's AbortSignal, and returns the
 * release as the task's result. Failures throw and are retried by the Worker runtime.
 */
export function deploymentHandler(root: string) {
  return async (ctx: TaskContext) => {
    let payload: ReturnType<typeof parseDeploymentPayload>;
    try {
      payload = parseDeploymentPayload(ctx.task.payload, root);
    } catch (err) {
      if (err instanceof BadDeploymentError) throw new PermanentError(err.message);
      throw err;
    }
    const releaseId = releaseIdFor(ctx.task.id, ctx.attempt);
    ctx.log(`deploying with strategy ${payload.strategy} as release ${releaseId}`);
    try {
      const r = await deployWith(payload, { root, releaseId, signal: ctx.signal, log: ctx.log });
      ctx.log(`deployed release ${r.releaseId}`);
      return {
        releaseId: r.releaseId,
        releasePath: r.releasePath ?? null,
        previousReleaseId: r.previousReleaseId,
        strategy: payload.strategy,
      };
    } catch (err) {
      if (err instanceof BadDeploymentError) throw new PermanentError(err.message);
      if (err instanceof DeploymentAbortedError) ctx.log(`aborted: ${err.message}`);
      throw err;
    }
  };
}
