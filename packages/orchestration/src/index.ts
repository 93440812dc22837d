// The public API of @hive/orchestration: an explicit list.
export { backoffDelay } from "./backoff.ts";
export {
  type BatchResult,
  claimTasks,
  completeTask,
  completeTasks,
  failTask,
  failTasks,
  hasClaimableTasks,
  heartbeatTask,
  releaseTasks,
} from "./claims.ts";
export { OrchestrationClient, type TransactionClient } from "./client.ts";
export { type CopyResult, copySqliteToPostgres } from "./copy.ts";
export {
  closeDatabase,
  DEFAULT_DB_PATH,
  databaseFromFlags,
  getConnection,
  initDb,
  isPostgresUrl,
  type OpenDatabaseOptions,
  openDatabase,
  openExistingDatabase,
  resolveDatabasePath,
} from "./db.ts";
export {
  CommitOutcomeUnknownError,
  ConnectionLostError,
  DatabaseBusyError,
  DatabaseNotMigratedError,
  DatabaseOpenError,
  DependencyNotFoundError,
  HiveError,
  IdempotencyConflictError,
  InvalidTransitionError,
  LeaseLostError,
  NotFoundError,
  PlanNotFoundError,
  PlanningRequestNotFoundError,
  PlanValidationError,
  ReadOnlyDatabaseError,
  SchemaVersionError,
  TaskNotFoundError,
  ValidationError,
  WorkerNotFoundError,
} from "./errors.ts";
export { EventBus } from "./events.ts";
export type { Database, Db, Transaction } from "./handle.ts";
export { checkDatabase, type DatabaseCheck } from "./integrity.ts";
export {
  type CompletePlanningRequestInput,
  claimPlanningRequests,
  completePlanningRequest,
  failPlanningRequest,
  getPlanningRequest,
  listPlanningRequests,
  releasePlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
export {
  cancelPlan,
  checkSubtaskDependencies,
  checkSubtaskDependenciesBatch,
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlan,
  getExecutionPlanForRequest,
  getExecutionPlanStatus,
  getExecutionPlanStatusCached,
  getNextPlannedSubtask,
  getPlanExecution,
  listExecutionPlans,
  markPlanExecutionStarted,
  subtaskTaskId,
  validatePlanData,
} from "./plans.ts";
export { type ReapOptions, type ReapResult, reapExpiredLeases } from "./reaper.ts";
export { type PurgeOptions, type PurgeResult, purgeFinished } from "./retention.ts";
export { getRuns } from "./runs.ts";
export {
  cancelTask,
  countTasksByStatus,
  createTask,
  createTasks,
  deleteTask,
  getQueuedTasks,
  getTask,
  getTaskDependencies,
  getTasksByStatus,
  listTasks,
  requeueTask,
  updateTaskStatus,
} from "./tasks.ts";
export { transaction } from "./tx.ts";
export { PermanentError, type TaskContext, type TaskHandler, Worker, type WorkerOptions } from "./worker.ts";
export {
  getActiveWorkers,
  getWorker,
  listWorkers,
  registerWorker,
  unregisterWorker,
  updateWorkerHeartbeat,
} from "./workers.ts";
