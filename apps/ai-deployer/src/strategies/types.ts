import type { DeploymentPayload } from "../deployment/payload.ts";

export interface DeployContext {
  /** Every path written is under this directory. */
  root: string;
  /** Names the release directory; unique per attempt. */
  releaseId: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

export interface DeployResult {
  releaseId: string;
  releasePath?: string;
  previousReleaseId: string | null;
  rolledBack: boolean;
  output: string;
}

export interface DeployStrategy<P extends DeploymentPayload = DeploymentPayload> {
  readonly name: P["strategy"];
  deploy(payload: P, ctx: DeployContext): Promise<DeployResult>;
}

/** The payload is wrong (missing artifact, path escaping the root…): fail at once, no retry. */
export class BadDeploymentError extends Error {
  override name = "BadDeploymentError";
}

/** The deployment failed (health check, command); the previous release is live again. Retryable. */
export class DeploymentFailedError extends Error {
  override name = "DeploymentFailedError";
  constructor(
    message: string,
    readonly rolledBack: boolean,
    readonly previousReleaseId: string | null,
  ) {
    super(message);
  }
}

/** Aborted (cancelled, or the deployer stopping); rolled back. */
export class DeploymentAbortedError extends DeploymentFailedError {
  override name = "DeploymentAbortedError";
}
