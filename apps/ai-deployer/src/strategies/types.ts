import type { DeploymentPayload } from "../deployment/payload.ts";

export interface DeployContext {
  /** Every path the deployer writes is under this directory. */
  root: string;
  /** Names the release directory; unique per attempt. */
  releaseId: string;
  /** Aborted on cancellation, lost lease or shutdown: the strategy stops and rolls back. */
  signal: AbortSignal;
  /** A line for this attempt's output log. */
  log: (line: string) => void;
}

/** What one command of a deployment did (kept in the task's result). */
export interface CommandSummary {
  argv: string[];
  exitCode: number | null;
  durationMs: number;
}

export interface DeployResult {
  releaseId: string;
  releasePath?: string;
  previousReleaseId: string | null;
  commands?: CommandSummary[];
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
    /** Whether `current` had been switched and was switched back. */
    readonly rolledBack: boolean,
    /** The release live after the failure (the one before the deployment). */
    readonly previousReleaseId: string | null,
  ) {
    super(message);
  }
}

/** Aborted (cancelled, lease lost, or the deployer stopping); rolled back. */
export class DeploymentAbortedError extends DeploymentFailedError {
  override name = "DeploymentAbortedError";
}
