import type { Run, Task } from "@hive/models";
import { type Db, getExecutionPlan, getPlanExecution, getRuns, listTasks } from "@hive/orchestration";

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

/** Where a deployment task's result says it was deployed, in words. */
export function describeDeployment(result: unknown): string {
  if (!result || typeof result !== "object" || Array.isArray(result)) return "no result recorded";
  const r = result as Record<string, unknown>;
  const where = r.releasePath ? ` at ${String(r.releasePath)}` : "";
  const strategy = r.strategy ? `strategy ${String(r.strategy)}, ` : "";
  const previous = r.previousReleaseId ? String(r.previousReleaseId) : "none";
  return `release ${String(r.releaseId ?? "?")}${where} (${strategy}previous release ${previous})`;
}

/**
 * The plan's summary, one subtask a line in the order they started: type, final state,
 * attempts, how long its last run took, which worker ran it; then where each deployment went.
 */
export async function planSummary(db: Db, planId: string): Promise<string[]> {
  const plan = await getExecutionPlan(db, planId);
  const pe = await getPlanExecution(db, planId);
  const tasks = await listTasks(db, { planId, limit: 100_000 });
  const rows: { task: Task; runs: Run[] }[] = [];
  for (const task of tasks) rows.push({ task, runs: await getRuns(db, task.id) });
  const firstStart = (r: { runs: Run[] }) => r.runs[0]?.startedAt ?? Number.POSITIVE_INFINITY;
  rows.sort((a, b) => firstStart(a) - firstStart(b) || a.task.createdAt - b.task.createdAt);

  const out: string[] = [];
  const total = pe?.startedAt && pe.completedAt ? ` in ${seconds(pe.completedAt - pe.startedAt)}` : "";
  out.push(`plan ${planId}: ${plan?.status ?? "unknown"}${total}`);
  out.push(
    `${"subtask".padEnd(24)} ${"type".padEnd(15)} ${"status".padEnd(16)} ${"attempts".padEnd(9)} ${"duration".padEnd(9)} worker`,
  );
  for (const { task, runs } of rows) {
    const last = runs.at(-1);
    const duration = last?.completedAt ? seconds(last.completedAt - last.startedAt) : "-";
    out.push(
      `${(task.subtaskId ?? task.id).padEnd(24)} ${task.taskType.padEnd(15)} ${task.status.padEnd(16)} ${String(task.attempts).padEnd(9)} ${duration.padEnd(9)} ${last?.workerId ?? "-"}`,
    );
  }
  const deployments = rows.filter((r) => r.task.taskType === "deployment");
  for (const { task } of deployments)
    out.push(
      task.status === "completed"
        ? `deployed ${task.subtaskId ?? task.id}: ${describeDeployment(task.result)}`
        : `not deployed ${task.subtaskId ?? task.id}: ${task.status}${task.lastError ? ` (${task.lastError})` : ""}`,
    );
  return out;
}
