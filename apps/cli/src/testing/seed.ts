import type { ClaimedTask, SubTaskInput } from "@hive/models";
import {
  claimPlanningRequests,
  claimTasks,
  completePlanningRequest,
  completeTask,
  type Database,
  failTask,
  registerWorker,
  submitPlanningRequest,
} from "@hive/orchestration";

/**
 * Stores an executing plan the way the planner does (request → claim → complete), so the tasks
 * exist and the roots are queued. Each subtask's task type defaults to its id, so a test can
 * claim exactly the node it wants with `taskTypes`.
 */
export async function seedPlan(
  db: Database,
  subtasks: (SubTaskInput & { id: string })[],
  description = "Build and ship the landing page",
): Promise<{ planId: string; requestId: string }> {
  const request = await submitPlanningRequest(db, { taskDescription: description });
  const agentId = `seed-planner-${request.id}`;
  await claimPlanningRequests(db, { agentId });
  const { plan } = await completePlanningRequest(db, {
    requestId: request.id,
    agentId,
    planData: { sub_tasks: subtasks.map((s) => ({ task_type: s.id, ...s })) },
  });
  return { planId: plan.id, requestId: request.id };
}

/** design → (api, ui) → ship: the plan the dashboard and CLI tests draw. */
export const DIAMOND: (SubTaskInput & { id: string })[] = [
  { id: "design", title: "Design the page" },
  { id: "api", title: "Build the API", dependencies: ["design"] },
  { id: "ui", title: "Build the UI", dependencies: ["design"], max_retries: 0 },
  { id: "ship", title: "Ship it", dependencies: ["api", "ui"] },
];

/** Registers `workerId` and claims the queued task of type `taskType` (fails if there is none). */
export async function claimOne(
  db: Database,
  workerId: string,
  taskType: string,
  leaseMs = 60_000,
): Promise<ClaimedTask> {
  await registerWorker(db, { workerId, role: "test", capabilities: [] });
  const [claimed] = await claimTasks(db, { workerId, taskTypes: [taskType], leaseMs });
  if (!claimed) throw new Error(`no queued task of type ${taskType} to claim`);
  return claimed;
}

/** Claims the task of type `taskType` and completes it with an output log. */
export async function completeOne(
  db: Database,
  workerId: string,
  taskType: string,
  outputLog = "done\n",
): Promise<void> {
  const c = await claimOne(db, workerId, taskType);
  await completeTask(db, { taskId: c.task.id, token: c.token, result: { ok: true }, outputLog });
}

/** Claims the task of type `taskType` and fails it for good (no retry). */
export async function failOne(
  db: Database,
  workerId: string,
  taskType: string,
  error = "it broke",
): Promise<void> {
  const c = await claimOne(db, workerId, taskType);
  await failTask(db, {
    taskId: c.task.id,
    token: c.token,
    error,
    retryable: false,
    outputLog: `trying\n${error}\n`,
  });
}
