/** Typed errors of @hive/orchestration. Each says what went wrong and what to do. */

export class HiveError extends Error {
  override name = "HiveError";
}

/** Input failed its zod schema; `issues` names each field and rule. Nothing was written. */
export class ValidationError extends HiveError {
  override name = "ValidationError";
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotFoundError extends HiveError {
  override name = "NotFoundError";
}
export class TaskNotFoundError extends NotFoundError {
  override name = "TaskNotFoundError";
  constructor(readonly taskId: string) {
    super(`task "${taskId}" does not exist`);
  }
}
export class WorkerNotFoundError extends NotFoundError {
  override name = "WorkerNotFoundError";
  constructor(readonly workerId: string) {
    super(`worker "${workerId}" is not registered; call registerWorker first`);
  }
}
export class PlanNotFoundError extends NotFoundError {
  override name = "PlanNotFoundError";
  constructor(readonly planId: string) {
    super(`execution plan "${planId}" does not exist`);
  }
}
export class PlanningRequestNotFoundError extends NotFoundError {
  override name = "PlanningRequestNotFoundError";
  constructor(readonly requestId: string) {
    super(`planning request "${requestId}" does not exist`);
  }
}

/** A state change that the lifecycle does not allow (names from → to). */
export class InvalidTransitionError extends HiveError {
  override name = "InvalidTransitionError";
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly from: string,
    readonly to: string,
    detail?: string,
  ) {
    super(`${entity} "${id}" cannot go from ${from} to ${to}${detail ? `: ${detail}` : ""}`);
  }
}

/**
 * The caller's lease on a task is gone (expired and taken over, cancelled, or completed by
 * someone else). The caller must stop working on it; nothing was written.
 */
export class LeaseLostError extends HiveError {
  override name = "LeaseLostError";
  constructor(
    readonly taskId: string,
    readonly token: number,
    detail: string,
  ) {
    super(`lease on task "${taskId}" with token ${token} is no longer held: ${detail}`);
  }
}

/** A plan that is not a valid DAG (or not schema-valid). Nothing was written. */
export class PlanValidationError extends HiveError {
  override name = "PlanValidationError";
  constructor(
    message: string,
    readonly issues: { code: string; message: string; ids?: string[] }[] = [],
  ) {
    super(message);
  }
}

/** A dependency named on create does not exist. */
export class DependencyNotFoundError extends NotFoundError {
  override name = "DependencyNotFoundError";
  constructor(readonly missing: string[]) {
    super(`dependencies do not exist: ${missing.join(", ")}`);
  }
}

/**
 * Same idempotency key as an existing task, but different content (`fields` names the inputs
 * that differ). Nothing was written: send the same content again to get that task back, or use
 * a new key for a new task.
 */
export class IdempotencyConflictError extends HiveError {
  override name = "IdempotencyConflictError";
  constructor(
    readonly key: string,
    readonly taskId: string,
    readonly fields: readonly string[],
  ) {
    super(
      `idempotency key "${key}" is already used by task "${taskId}" with different ${fields.join(", ")}; ` +
        "send the same content to get that task back, or use a new key",
    );
  }
}

/**
 * A lock was not granted in time, and nothing was written: SQLite's write lock held by another
 * connection past busyTimeoutMs, or a PostgreSQL lock wait past the session's lock_timeout.
 * `code` is the driver's (SQLITE_BUSY…, 55P03), the driver error the cause. Safe to try again.
 */
export class DatabaseBusyError extends HiveError {
  override name = "DatabaseBusyError";
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * PostgreSQL: the connection was lost (terminated by the server, reset, closed) on every attempt
 * the call is allowed, so it gave up; the last driver error is the cause. A transaction lost
 * before its COMMIT was sent rolled back (one lost during the COMMIT is CommitOutcomeUnknownError
 * instead). Safe to try again once the server is reachable.
 */
export class ConnectionLostError extends HiveError {
  override name = "ConnectionLostError";
}

/** Problems opening the database file: unwritable, not SQLite, migrated by a newer version. */
export class DatabaseOpenError extends HiveError {
  override name = "DatabaseOpenError";
}
export class SchemaVersionError extends DatabaseOpenError {
  override name = "SchemaVersionError";
}
/** requireMigrated: the database does not exist or is not fully migrated (migrating it would fix it). */
export class DatabaseNotMigratedError extends DatabaseOpenError {
  override name = "DatabaseNotMigratedError";
}

/**
 * The connection to PostgreSQL failed while the transaction's COMMIT was in flight, so whether it
 * committed is unknown; it was not retried, since running it again could do its work twice.
 * Read back what it would have written (a task by its idempotency key, a task's status) before
 * doing it again; an operation that is idempotent by design (createTask with an idempotency key,
 * createPlannedSubtasksFromPlan) may simply be sent again.
 */
export class CommitOutcomeUnknownError extends HiveError {
  override name = "CommitOutcomeUnknownError";
}

/**
 * A write through a handle opened with `readonly: true`. Nothing was written: open the database
 * without `readonly` to write.
 */
export class ReadOnlyDatabaseError extends HiveError {
  override name = "ReadOnlyDatabaseError";
}
