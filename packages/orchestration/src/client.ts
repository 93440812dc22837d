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

/**
 * The SDK object: a database handle with every operation bound to it.
 *
 * @example
 * const hive = await OrchestrationClient.open({ path: "hive.db" });
 * const task = await hive.createTask({ title: "build", taskType: "build" });
 * await hive.close();
 */
export interface OrchestrationClient extends BoundOps {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: methods are bound in the constructor
export class OrchestrationClient {
  constructor(readonly db: Database) {
    for (const [name, fn] of Object.entries(operations))
      (this as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
        (fn as (db: Db, ...a: unknown[]) => unknown)(db, ...args);
  }

  /** Opens (and migrates) the database; see openDatabase for the options. */
  static async open(options: OpenDatabaseOptions = {}): Promise<OrchestrationClient> {
    return new OrchestrationClient(await openDatabase(options));
  }

  get events() {
    return this.db.events;
  }

  /** Runs operations in one transaction; pass `tx` to each. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return transaction(this.db, fn);
  }

  /** A Worker runtime on this database. */
  worker(options: Omit<WorkerOptions, "db">): Worker {
    return new Worker({ ...options, db: this.db });
  }

  close(): Promise<void> {
    return closeDatabase(this.db);
  }
}
