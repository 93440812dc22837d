import type { ExecutionPlan, PlanStatus, Task } from "@hive/models";
import {
  type Database,
  getExecutionPlan,
  getPlanExecution,
  getPlanningRequest,
  listExecutionPlans,
  listTasks,
} from "@hive/orchestration";
import { buildDag, type Dag } from "../dag/graph.ts";
import { type DagLayout, layoutDag } from "../dag/layout.ts";

/** A plan in a list: its request's description and its progress. */
export interface PlanSummary {
  id: string;
  status: PlanStatus;
  requestId: string;
  /** The planning request's description, null when the request is gone. */
  description: string | null;
  generatedAt: number;
  subtaskCount: number;
  progressPercent: number;
  completed: number;
  active: number;
  failed: number;
  /** Cannot run because of a failure (upstream_failed or cancelled). */
  blocked: number;
  total: number;
  startedAt: number | null;
  completedAt: number | null;
}

/** One plan in full: its summary, failure policy and DAG with each node's state. */
export interface PlanView extends PlanSummary {
  onFailure: "block" | "cancel";
  dag: Dag;
}

/**
 * A plan as the dashboard draws it: the DAG with node positions, or (beyond `drawLimit` subtasks,
 * where a drawing is unreadable and its JSON megabytes long) only the summary.
 */
export interface PlanGraphView extends PlanSummary {
  onFailure: "block" | "cancel";
  dag: Dag | null;
  layout: DagLayout | null;
  drawLimit: number;
}

/** The dashboard draws plans up to this many subtasks. */
export const DRAW_LIMIT = 2000;

async function summarize(db: Database, plan: ExecutionPlan): Promise<PlanSummary> {
  const [execution, request] = await Promise.all([
    getPlanExecution(db, plan.id),
    getPlanningRequest(db, plan.planningTaskId),
  ]);
  return {
    id: plan.id,
    status: plan.status,
    requestId: plan.planningTaskId,
    description: request?.taskDescription ?? null,
    generatedAt: plan.generatedAt,
    subtaskCount: plan.subtaskCount,
    progressPercent: execution?.progressPercent ?? 0,
    completed: execution?.completedSubtasks.length ?? 0,
    active: execution?.activeSubtasks.length ?? 0,
    failed: execution?.failedSubtasks.length ?? 0,
    blocked: execution?.blockedSubtasks.length ?? 0,
    total: execution?.totalSubtasks ?? plan.subtaskCount,
    startedAt: execution?.startedAt ?? null,
    completedAt: execution?.completedAt ?? null,
  };
}

/** Plans, newest first, with their progress. */
export async function loadPlanSummaries(
  db: Database,
  options: { status?: PlanStatus; limit?: number } = {},
): Promise<PlanSummary[]> {
  const plans = await listExecutionPlans(db, options);
  return Promise.all(plans.map((p) => summarize(db, p)));
}

const PAGE = 10_000;

/** Every task of a plan, read in pages (plans may hold more tasks than one read returns). */
export async function planTasks(db: Database, planId: string): Promise<Task[]> {
  const out: Task[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await listTasks(db, { planId, limit: PAGE, offset });
    out.push(...page);
    if (page.length < PAGE) return out;
  }
}

async function viewOf(db: Database, plan: ExecutionPlan): Promise<PlanView> {
  const [summary, tasks] = await Promise.all([summarize(db, plan), planTasks(db, plan.id)]);
  return { ...summary, onFailure: plan.planData.on_failure, dag: buildDag(plan, tasks) };
}

/** The plan with its DAG and each node's state, or null when there is no such plan. */
export async function loadPlanView(db: Database, planId: string): Promise<PlanView | null> {
  const plan = await getExecutionPlan(db, planId);
  return plan ? viewOf(db, plan) : null;
}

/** The plan with its DAG laid out for drawing (or only its summary past `drawLimit`), or null. */
export async function loadPlanGraph(
  db: Database,
  planId: string,
  drawLimit = DRAW_LIMIT,
): Promise<PlanGraphView | null> {
  const plan = await getExecutionPlan(db, planId);
  if (!plan) return null;
  if (plan.subtaskCount > drawLimit)
    return {
      ...(await summarize(db, plan)),
      onFailure: plan.planData.on_failure,
      dag: null,
      layout: null,
      drawLimit,
    };
  const view = await viewOf(db, plan);
  return { ...view, layout: layoutDag(view.dag), drawLimit };
}
