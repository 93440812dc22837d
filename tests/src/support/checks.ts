import type { ExecutionPlan, PlanExecution, Run, Task } from "@hive/models";
import {
  type DatabaseCheck,
  type Db,
  getExecutionPlan,
  getPlanExecution,
  getRuns,
  getTaskDependencies,
  listTasks,
  subtaskTaskId,
} from "@hive/orchestration";

/** A plan as the database holds it: its tasks, their runs and their edges. */
export interface PlanSnapshot {
  plan: ExecutionPlan;
  execution: PlanExecution | null;
  tasks: Task[];
  /** Task id → its runs, by run number. */
  runs: Map<string, Run[]>;
  /** Task id → the ids of the tasks it depends on (the edge table). */
  deps: Map<string, string[]>;
}

/** Reads a plan, its tasks, runs and edges through the public API. */
export async function snapshotPlan(db: Db, planId: string): Promise<PlanSnapshot> {
  const plan = await getExecutionPlan(db, planId);
  if (!plan) throw new Error(`plan ${planId} does not exist`);
  const tasks = await listTasks(db, { planId, limit: 100_000 });
  const runs = new Map<string, Run[]>();
  const deps = new Map<string, string[]>();
  for (const t of tasks) {
    runs.set(t.id, await getRuns(db, t.id));
    deps.set(t.id, (await getTaskDependencies(db, t.id)).sort());
  }
  return { plan, execution: await getPlanExecution(db, planId), tasks, runs, deps };
}

/** The tasks and edges differ from the plan's subtasks and dependencies (empty: they match). */
export function planShapeProblems(s: PlanSnapshot): string[] {
  const problems: string[] = [];
  const subs = s.plan.planData.sub_tasks;
  const byId = new Map(s.tasks.map((t) => [t.id, t]));
  if (s.tasks.length !== subs.length) problems.push(`${s.tasks.length} tasks for ${subs.length} subtasks`);
  if (s.plan.subtaskCount !== subs.length) problems.push(`plan.subtaskCount is ${s.plan.subtaskCount}`);
  const edges = subs.reduce((n, st) => n + st.dependencies.length, 0);
  if (s.plan.dependencyCount !== edges)
    problems.push(`plan.dependencyCount is ${s.plan.dependencyCount}, not ${edges}`);
  for (const st of subs) {
    const id = subtaskTaskId(s.plan.id, st.id);
    const t = byId.get(id);
    if (!t) {
      problems.push(`no task for subtask ${st.id}`);
      continue;
    }
    if (t.subtaskId !== st.id) problems.push(`${id}: subtaskId ${t.subtaskId}`);
    if (t.taskType !== st.task_type) problems.push(`${st.id}: type ${t.taskType}, plan says ${st.task_type}`);
    if (t.title !== st.title) problems.push(`${st.id}: title "${t.title}", plan says "${st.title}"`);
    if (t.planId !== s.plan.id) problems.push(`${st.id}: planId ${t.planId}`);
    const want = st.dependencies.map((d) => subtaskTaskId(s.plan.id, d)).sort();
    const got = s.deps.get(id) ?? [];
    if (want.join() !== got.join()) problems.push(`${st.id}: edges [${got}], plan says [${want}]`);
  }
  return problems;
}

/**
 * Runs that started before one of their task's dependencies had completed, judged from the
 * runs' start and finish times against the edge table (empty: every run respected its edges).
 */
export function dependencyOrderProblems(s: PlanSnapshot): string[] {
  const problems: string[] = [];
  const byId = new Map(s.tasks.map((t) => [t.id, t]));
  for (const t of s.tasks)
    for (const depId of s.deps.get(t.id) ?? []) {
      const dep = byId.get(depId);
      const depDone = s.runs.get(depId)?.find((r) => r.status === "completed")?.completedAt ?? null;
      for (const r of s.runs.get(t.id) ?? []) {
        if (dep?.status !== "completed" || depDone === null)
          problems.push(
            `${t.subtaskId} run ${r.runNumber} ran although ${depId} is ${dep?.status ?? "missing"}`,
          );
        else if (r.startedAt < depDone)
          problems.push(
            `${t.subtaskId} run ${r.runNumber} started at ${r.startedAt}, before ${dep.subtaskId} completed at ${depDone}`,
          );
      }
    }
  return problems;
}

/** Two runs of one task whose [start, finish] intervals overlap (empty: never twice at once). */
export function overlapProblems(s: PlanSnapshot): string[] {
  const problems: string[] = [];
  for (const t of s.tasks) {
    const runs = [...(s.runs.get(t.id) ?? [])].sort((a, b) => a.startedAt - b.startedAt);
    for (let i = 1; i < runs.length; i++) {
      const prev = runs[i - 1]!;
      const next = runs[i]!;
      if (prev.completedAt === null || prev.completedAt > next.startedAt)
        problems.push(
          `${t.subtaskId}: run ${prev.runNumber} [${prev.startedAt}, ${prev.completedAt}] overlaps run ${next.runNumber} starting ${next.startedAt}`,
        );
    }
  }
  return problems;
}

/**
 * Runs that do not add up: every claim leaves one run (numbered 1..attempts, none missing), no
 * run is left `running` on a task that is not in progress, and a completed task has exactly one
 * completed run, its last (empty: no run lost, none completed twice).
 */
export function runAccountingProblems(s: PlanSnapshot): string[] {
  const problems: string[] = [];
  for (const t of s.tasks) {
    const runs = s.runs.get(t.id) ?? [];
    const numbers = runs.map((r) => r.runNumber).join();
    const expected = Array.from({ length: t.attempts }, (_, i) => i + 1).join();
    if (numbers !== expected) problems.push(`${t.subtaskId}: runs [${numbers}] for ${t.attempts} attempts`);
    const running = runs.filter((r) => r.status === "running");
    if (t.status !== "in_progress" && running.length > 0)
      problems.push(`${t.subtaskId} is ${t.status} with ${running.length} run(s) still running`);
    const completed = runs.filter((r) => r.status === "completed");
    if (t.status === "completed") {
      if (completed.length !== 1) problems.push(`${t.subtaskId}: ${completed.length} completed runs`);
      else if (runs.at(-1) !== completed[0])
        problems.push(`${t.subtaskId}: its completed run is not its last`);
    } else if (completed.length > 0) problems.push(`${t.subtaskId} is ${t.status} with a completed run`);
  }
  return problems;
}

/** Task statuses of a snapshot by subtask id, for readable assertions. */
export const statusBySubtask = (s: PlanSnapshot): Record<string, string> =>
  Object.fromEntries(s.tasks.map((t) => [t.subtaskId ?? t.id, t.status]));

/** What `checkDatabase` answers for a consistent database: every check clean. */
export const CONSISTENT: DatabaseCheck = {
  integrity: "ok",
  foreignKeyViolations: 0,
  dependencyCounterMismatches: 0,
  planCounterMismatches: 0,
  runMismatches: 0,
};
