import type { JsonValue } from "@hive/models";
import { PermanentError, type TaskContext } from "@hive/orchestration";
import type { Logger } from "pino";
import { parseDeploymentPayload } from "./deployment/payload.ts";
import { deployWith } from "./strategies/index.ts";
import { BadDeploymentError, DeploymentAbortedError, DeploymentFailedError } from "./strategies/types.ts";

/**
 * Release ids become directory names: a safe alphabet. The lease's fencing token grows with every
 * claim of the task and is never reset (unlike the attempt count, which an operator's requeue
 * resets), so a redeployment never reuses the name of a live release. It equals the attempt
 * number until a task is requeued.
 */
export const releaseIdFor = (taskId: string, token: number): string =>
  `${taskId}-${token}`.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 180);

/**
 * The deployment task handler: validates the payload against the root (a bad payload fails the
 * task at once, no retry), runs its strategy with the task's AbortSignal, and returns the release
 * as the task's result. Other failures throw and are retried by the Worker runtime with backoff.
 */
export function deploymentHandler(root: string, logger?: Logger) {
  return async (ctx: TaskContext): Promise<JsonValue> => {
    const log = logger?.child({ taskId: ctx.task.id, planId: ctx.task.planId, attempt: ctx.attempt });
    const line = (l: string) => {
      ctx.log(l);
      log?.debug({ line: l }, "deployment output");
    };
    let payload: ReturnType<typeof parseDeploymentPayload>;
    try {
      payload = parseDeploymentPayload(ctx.task.payload, root);
    } catch (err) {
      if (!(err instanceof BadDeploymentError)) throw err;
      line(err.message);
      log?.warn({ err: err.message }, "bad deployment payload; failing the task without retry");
      throw new PermanentError(err.message);
    }
    const releaseId = releaseIdFor(ctx.task.id, ctx.token);
    line(`deploying with strategy ${payload.strategy} as release ${releaseId} (attempt ${ctx.attempt})`);
    log?.info({ strategy: payload.strategy, releaseId }, "deploying");
    try {
      const r = await deployWith(payload, { root, releaseId, signal: ctx.signal, log: line });
      line(`deployed release ${r.releaseId}`);
      log?.info({ releaseId: r.releaseId, previousReleaseId: r.previousReleaseId }, "deployed");
      return {
        releaseId: r.releaseId,
        strategy: payload.strategy,
        releasePath: r.releasePath ?? null,
        previousReleaseId: r.previousReleaseId,
        ...(r.commands ? { commands: r.commands as unknown as JsonValue } : {}),
      };
    } catch (err) {
      if (err instanceof BadDeploymentError) {
        line(err.message);
        log?.warn({ err: err.message }, "bad deployment; failing the task without retry");
        throw new PermanentError(err.message);
      }
      const message = (err as Error).message;
      if (err instanceof DeploymentAbortedError) log?.warn({ err: message }, "deployment aborted");
      else if (err instanceof DeploymentFailedError) log?.warn({ err: message }, "deployment failed");
      else log?.error({ err: message }, "deployment failed unexpectedly");
      throw err;
    }
  };
}
