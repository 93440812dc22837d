/**
 * DAG plans through Hive's planning API: creation (validate + store the plan, then create its
 * tasks and edges) and dispatch (start the plan, then one worker process drains it; the DAG's
 * edges release each node as its dependencies complete). Per-node costs show how cost grows
 * with size. One worker process serves every plan (reopened on each fresh database) after an
 * unmeasured warm-up plan, so no size pays for the process's cold start.
 */
import {
  createExecutionPlan,
  createPlannedSubtasksFromPlan,
  getExecutionPlanStatus,
  markPlanExecutionStarted,
  submitPlanningRequest,
} from "@hive/orchestration";
import { buildPlan, edgeCount } from "../dagPlans.ts";
import { exactlyOnceProblems, secondsSince, waitForDone } from "../measure.ts";
import { wallNow } from "../protocol.ts";
import type { DagRow, DagShape } from "../results.ts";
import { openHiveDatabase, verifyHiveTasks } from "../systems/hive.ts";
import type { Backend, BenchContext } from "../systems/types.ts";
import { WorkerProcess } from "../workerProcess.ts";

export interface DagOptions {
  shapes: readonly DagShape[];
  sizes: readonly number[];
  concurrency: number;
  warmupNodes: number;
}

async function runPlan(
  ctx: BenchContext,
  backend: Backend,
  worker: WorkerProcess,
  shape: DagShape,
  size: number,
  concurrency: number,
): Promise<DagRow> {
  const h = await openHiveDatabase(ctx, backend);
  const counter = await h.counter();
  try {
    const request = await submitPlanningRequest(h.db, { taskDescription: `bench ${shape} ${size}` });
    const planData = buildPlan(shape, size);
    const nodes = planData.sub_tasks.length;
    const t0 = performance.now();
    const plan = await createExecutionPlan(h.db, {
      planningTaskId: request.id,
      planData,
      status: "approved",
    });
    await createPlannedSubtasksFromPlan(h.db, plan.id);
    const createSeconds = secondsSince(t0);

    await worker.open({ target: h.target, concurrency, reportStarts: false });
    // Started before the worker runs, so the worker's idle polling interval is not measured.
    const t1 = performance.now();
    await markPlanExecutionStarted(h.db, plan.id);
    const startSeconds = secondsSince(t1);
    worker.go();
    await waitForDone({
      n: nodes,
      workers: [worker],
      timeoutMs: Math.max(300_000, nodes * 20),
      isDone: async () => (await getExecutionPlanStatus(h.db, plan.id)) === "completed",
      describe: async () => `plan ${await getExecutionPlanStatus(h.db, plan.id)}`,
    });
    const end = wallNow();
    const runSeconds = (end - (worker.firstAt ?? end)) / 1000;
    const { executed } = await worker.stop();
    const problems = [...exactlyOnceProblems(executed, nodes), ...(await verifyHiveTasks(counter, nodes))];
    const dispatchSeconds = startSeconds + runSeconds;
    return {
      shape,
      nodes,
      edges: edgeCount(planData),
      createSeconds,
      dispatchSeconds,
      createUsPerNode: (createSeconds * 1e6) / nodes,
      dispatchUsPerNode: (dispatchSeconds * 1e6) / nodes,
      exactlyOnce: problems.length === 0,
      problems,
    };
  } finally {
    await counter.close();
    await h.remove();
  }
}

export async function measureDags(ctx: BenchContext, backend: Backend, o: DagOptions): Promise<DagRow[]> {
  const worker = new WorkerProcess();
  try {
    await runPlan(ctx, backend, worker, "layered", o.warmupNodes, o.concurrency);
    const rows: DagRow[] = [];
    for (const shape of o.shapes)
      for (const size of o.sizes) rows.push(await runPlan(ctx, backend, worker, shape, size, o.concurrency));
    return rows;
  } finally {
    await worker.exit();
  }
}
