import {
  DatabaseOpenError,
  HiveError,
  InvalidTransitionError,
  NotFoundError,
  PlanValidationError,
  ValidationError,
} from "@hive/orchestration";
import { CommanderError } from "commander";
import { ZodError } from "zod";

/**
 * The exit codes of `hive`, for scripts (documented in the README). Stable: a script may
 * branch on them.
 */
export const ExitCode = {
  /** Done. */
  ok: 0,
  /** Unexpected failure (a bug, a database error in the middle of an operation). */
  failure: 1,
  /** Bad usage: unknown command or flag, invalid input (names the field). Nothing was written. */
  usage: 2,
  /** The task, plan or request named does not exist. */
  notFound: 3,
  /** The action is not allowed in the current state (retry a running task, cancel a finished one). */
  conflict: 4,
  /** The database cannot be opened: missing SQLite file, server unreachable, newer schema. */
  unavailable: 5,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A usage error detected by the CLI itself (conflicting flags, bad JSON argument). */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The database could not be opened or reached; `cause` holds the original error. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (err instanceof UsageError || err instanceof ZodError) return ExitCode.usage;
  if (err instanceof ValidationError || err instanceof PlanValidationError) return ExitCode.usage;
  if (err instanceof NotFoundError) return ExitCode.notFound;
  if (err instanceof InvalidTransitionError) return ExitCode.conflict;
  if (err instanceof DatabaseUnavailableError || err instanceof DatabaseOpenError)
    return ExitCode.unavailable;
  return ExitCode.failure;
}

/** One line for people: the error's kind and message (no stack for the errors we expect). */
export function describeError(err: unknown): string {
  if (err instanceof ZodError)
    return `invalid input: ${err.issues.map((i) => `${i.path.join(".") || "(input)"}: ${i.message}`).join("; ")}`;
  if (err instanceof HiveError || err instanceof UsageError || err instanceof DatabaseUnavailableError)
    return `${err.name}: ${err.message}`;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
