import type { DeploymentPayload } from "../deployment/payload.ts";
import { commandStrategy } from "./command.ts";
import { localStrategy } from "./local.ts";
import { BadDeploymentError, type DeployContext, type DeployResult } from "./types.ts";

export const strategyNames = ["local", "command"];

/** Runs the payload's strategy. */
export function deployWith(payload: DeploymentPayload, ctx: DeployContext): Promise<DeployResult> {
  if (payload.strategy === "local") return localStrategy.deploy(payload, ctx);
  if (payload.strategy === "command") return commandStrategy.deploy(payload, ctx);
  throw new BadDeploymentError(`unknown deployment strategy "${(payload as { strategy: string }).strategy}"`);
}
