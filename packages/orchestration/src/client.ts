import * as claims from "./claims.ts";
import { closeDatabase, type OpenDatabaseOptions, openDatabase } from "./db.ts";
import type { Database, Db, Transaction } from "./handle.ts";
import * as planning from "./planning.ts";
import * as plans from "./plans.ts";
import * as reaper from "./reaper.ts";
import * as retention from "./retention.ts";
import * as runs from "./runs.ts";
import * as tasks from "./tasks.ts";
import { transaction } from "./tx.ts";
import { Worker, type WorkerOptions } from "./worker.ts";
import * as workers from "./workers.ts";

const operations = {
  createTask: tasks.createTask,
  createTasks: tasks.createTasks,
  getTask: tasks.getTask,
  updateTaskStatus: tasks.updateTaskStatus,
  getTasksByStatus: tasks.getTasksByStatus,
  getQueuedTasks: tasks.getQueuedTasks,
  listTasks: tasks.listTasks,
  countTasksByStatus: tasks.countTasksByStatus,
  getTaskDependencies: tasks.getTaskDependencies,
  deleteTask: tasks.deleteTask,
  cancelTask: tasks.cancelTask,
  requeueTask: tasks.requeueTask,
  claimTasks: claims.claimTasks,
  completeTask: claims.completeTask,
  completeTasks: claims.completeTasks,
  failTask: claims.failTask,
  failTasks: claims.failTasks,
  heartbeatTask: claims.heartbeatTask,
  releaseTasks: claims.releaseTasks,
  reapExpiredLeases: reaper.reapExpiredLeases,
  purgeFinished: retention.purgeFinished,
  getRuns: runs.getRuns,
  registerWorker: workers.registerWorker,
  updateWorkerHeartbeat: workers.updateWorkerHeartbeat,
  getActiveWorkers: workers.getActiveWorkers,
  listWorkers: workers.listWorkers,
  getWorker: workers.getWorker,
  unregisterWorker: workers.unregisterWorker,
  createExecutionPlan: plans.createExecutionPlan,
  createPlannedSubtasksFromPlan: plans.createPlannedSubtasksFromPlan,
  getExecutionPlan: plans.getExecutionPlan,
  getExecutionPlanForRequest: plans.getExecutionPlanForRequest,
  hasClaimableTasks: claims.hasClaimableTasks,
  listExecutionPlans: plans.listExecutionPlans,
  getExecutionPlanStatus: plans.getExecutionPlanStatus,
  getExecutionPlanStatusCached: plans.getExecutionPlanStatusCached,
  checkSubtaskDependencies: plans.checkSubtaskDependencies,
  checkSubtaskDependenciesBatch: plans.checkSubtaskDependenciesBatch,
  getNextPlannedSubtask: plans.getNextPlannedSubtask,
  markPlanExecutionStarted: plans.markPlanExecutionStarted,
  getPlanExecution: plans.getPlanExecution,
  cancelPlan: plans.cancelPlan,
  submitPlanningRequest: planning.submitPlanningRequest,
  getPlanningRequest: planning.getPlanningRequest,
  listPlanningRequests: planning.listPlanningRequests,
  claimPlanningRequests: planning.claimPlanningRequests,
  completePlanningRequest: planning.completePlanningRequest,
  failPlanningRequest: planning.failPlanningRequest,
  releasePlanningRequest: planning.releasePlanningRequest,
};

type Ops = typeof operations;
type Bound<F> = F extends (db: Db, ...args: infer A) => infer R ? (...args: A) => R : never;
type BoundOps = { [K in keyof Ops]: Bound<Ops[K]> };

/** Puts every operation on `target`, bound to `db`. */
function bindOperations(target: object, db: Db): void {
  for (const [name, fn] of Object.entries(operations))
    (target as Record<string, unknown>)[name] = (...args: unknown[]) =>
      (fn as (db: Db, ...a: unknown[]) => unknown)(db, ...args);
}

/**
 * What `hive.transaction(fn)` hands `fn`: the client's operations bound to the open transaction
 * (`tx.createTask(…)` runs in it), and the transaction handle itself, so `createTask(tx, …)`
 * works too. `tx.transaction(fn)` nests a savepoint. Refused once its transaction has ended.
 */
export type TransactionClient = Transaction &
  BoundOps & {
    /** A savepoint inside this transaction: `fn`'s writes are undone alone if it throws. */
    transaction<T>(fn: (tx: TransactionClient) => Promise<T>): Promise<T>;
  };

function transactionClient(tx: Transaction): TransactionClient {
  const client = {
    kind: tx.kind,
    events: tx.events,
    _tx: tx._tx,
    transaction: <T>(fn: (inner: TransactionClient) => Promise<T>): Promise<T> =>
      transaction(tx, (inner) => fn(transactionClient(inner))),
  };
  bindOperations(client, tx);
  return client as TransactionClient;
}

/**
 * The SDK object: a database handle with every operation bound to it.
 *
 * Inside `hive.transaction(async (tx) => …)` use `tx`'s methods (`tx.createTask(…)`), not
 * `hive`'s: `hive`'s run outside the transaction (on SQLite they would wait for the lock the
 * transaction holds, so they are refused with an error; on PostgreSQL they commit on another
 * connection and survive a rollback).
 *
 * @example
 * const hive = await OrchestrationClient.open({ path: "hive.db" });
 * const task = await hive.createTask({ title: "build", taskType: "build" });
 * await hive.transaction(async (tx) => {
 *   const a = await tx.createTask({ title: "test", taskType: "test" });
 *   await tx.createTask({ title: "ship", taskType: "deployment", dependsOn: [a.id, task.id] });
 * }); // both tasks, or neither
 * await hive.close();
 */
export interface OrchestrationClient extends BoundOps {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: methods are bound in the constructor
export class OrchestrationClient {
  constructor(readonly db: Database) {
    bindOperations(this, db);
  }

  /** Opens (and migrates) the database; see openDatabase for the options. */
  static async open(options: OpenDatabaseOptions = {}): Promise<OrchestrationClient> {
    return new OrchestrationClient(await openDatabase(options));
  }

  get events() {
    return this.db.events;
  }

  /**
   * Runs `fn` in one transaction: everything `fn` does through `tx` (its methods, or functions
   * given `tx` as their handle) commits together when `fn` resolves, or not at all when it throws.
   * Events are published after the commit. On SQLite the transaction holds the write lock until
   * it ends: keep slow I/O outside.
   */
  transaction<T>(fn: (tx: TransactionClient) => Promise<T>): Promise<T> {
    return transaction(this.db, (tx) => fn(transactionClient(tx)));
  }

  /** A Worker runtime on this database. */
  worker(options: Omit<WorkerOptions, "db">): Worker {
    return new Worker({ ...options, db: this.db });
  }

  close(): Promise<void> {
    return closeDatabase(this.db);
  }
}
