import type { ExecutionPlan, PlanningRequest, TaskStatus } from "@hive/models";
import {
  type Db,
  getExecutionPlanForRequest,
  getPlanExecution,
  getPlanningRequest,
  listTasks,
  listWorkers,
} from "@hive/orchestration";

export interface Progress {
  request: PlanningRequest | null;
  plan: ExecutionPlan | null;
  /** One line: plan progress, its tasks per state, the active workers, what runs. */
  line: string;
  /** The plan finished (completed or failed), or planning failed. */
  done: boolean;
}

const count = (items: string[]) => {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return [...m].map(([k, n]) => (n > 1 ? `${k}×${n}` : k)).join(" ");
};

/** Reads where the request's plan stands. Only reads, so it never competes for the write lock. */
export async function readProgress(db: Db, requestId: string): Promise<Progress> {
  const request = await getPlanningRequest(db, requestId);
  const plan = await getExecutionPlanForRequest(db, requestId);
  const workers = (await listWorkers(db, "active")).map((w) => w.role);
  const workerPart = `workers ${workers.length > 0 ? count(workers.sort()) : "none yet"}`;
  if (!plan) {
    const state = request?.status === "failed" ? `planning failed: ${request.errorMessage}` : "planning…";
    return { request, plan, line: `${state} | ${workerPart}`, done: request?.status === "failed" };
  }
  const pe = await getPlanExecution(db, plan.id);
  const tasks = await listTasks(db, { planId: plan.id, limit: 100_000 });
  const states = new Map<TaskStatus, number>();
  for (const t of tasks) states.set(t.status, (states.get(t.status) ?? 0) + 1);
  const parts = [
    `plan ${plan.status} ${Math.round(pe?.progressPercent ?? 0)}% (${pe?.completedSubtasks.length ?? 0}/${tasks.length})`,
    `tasks ${[...states].map(([s, n]) => `${s}=${n}`).join(" ")}`,
    workerPart,
  ];
  if (pe?.activeSubtasks.length) parts.push(`running ${pe.activeSubtasks.join(",")}`);
  return {
    request,
    plan,
    line: parts.join(" | "),
    done: plan.status === "completed" || plan.status === "failed" || plan.status === "cancelled",
  };
}
