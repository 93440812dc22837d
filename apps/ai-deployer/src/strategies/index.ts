import type { DeploymentPayload } from "../deployment/payload.ts";
import { commandStrategy } from "./command.ts";
import { localStrategy } from "./local.ts";
import type { DeployContext, DeployResult } from "./types.ts";

export { STRATEGY_NAMES as strategyNames } from "../deployment/payload.ts";

/** Runs the payload's strategy (the payload was validated, so its strategy is known). */
export function deployWith(payload: DeploymentPayload, ctx: DeployContext): Promise<DeployResult> {
  return payload.strategy === "local"
    ? localStrategy.deploy(payload, ctx)
    : commandStrategy.deploy(payload, ctx);
}
