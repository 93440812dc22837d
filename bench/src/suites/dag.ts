/**
 * DAG plans through Hive's planning API: creation (validate + store the plan, then create its
 * tasks and edges) and dispatch (start the plan, then one worker process drains it; the DAG's
 * edges release each node as its dependencies complete). Per-node costs show how cost grows
 * with size. One worker process serves every plan (reopened on each fresh database) after an
 * unmeasured warm-up plan, so no size pays for the process's cold start.
 */

import { buildPlan, edgeCount } from "../dagPlans.ts";
import { hive } from "../hiveModule.ts";
import { exactlyOnceProblems, secondsFromFirstStart, secondsSince, waitForDone } from "../measure.ts";
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
  /** Runs of each shape's smallest plan, the base of its growth figures (median kept), spread among the larger plans. */
  baselineRuns: number;
}

/** Time allowed to dispatch a plan: generous, yet bounded when cost per node grows with size. */
export function dispatchLimitMs(nodes: number): number {
  return Math.max(120_000, nodes * 5);
}

async function runPlan(
  ctx: BenchContext,
  backend: Backend,
  worker: WorkerProcess,
  shape: DagShape,
  size: number,
  concurrency: number,
): Promise<DagRow> {
  const {
    createExecutionPlan,
    createPlannedSubtasksFromPlan,
    getExecutionPlanStatus,
    markPlanExecutionStarted,
    submitPlanningRequest,
  } = await hive();
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
    const go = wallNow();
    worker.go();
    const limitMs = dispatchLimitMs(nodes);
    let finished = true;
    try {
      await waitForDone({
        n: nodes,
        workers: [worker],
        timeoutMs: limitMs,
        isDone: async () => (await getExecutionPlanStatus(h.db, plan.id)) === "completed",
        describe: async () => `plan ${await getExecutionPlanStatus(h.db, plan.id)}`,
      });
    } catch (err) {
      worker.check(); // a dead worker is an error, not a slow plan
      if (!(err instanceof Error && err.message.startsWith("not done within"))) throw err;
      finished = false;
    }
    const end = wallNow();
    const runSeconds = secondsFromFirstStart([worker.firstAt], go, end);
    const { executed } = await worker.stop();
    const dispatchSeconds = startSeconds + runSeconds;
    const measured = {
      shape,
      nodes,
      edges: edgeCount(planData),
      createSeconds,
      dispatchSeconds,
      createUsPerNode: (createSeconds * 1e6) / nodes,
    };
    if (!finished)
      // Cost per node from the nodes that did run: a lower bound of the real cost.
      return {
        ...measured,
        dispatchUsPerNode: (dispatchSeconds * 1e6) / Math.max(1, executed.length),
        finished: false,
        exactlyOnce: false,
        problems: [
          `did not complete within ${limitMs / 1000} s: ${executed.length} of ${nodes} nodes ran (µs/node from those)`,
        ],
      };
    const problems = [...exactlyOnceProblems(executed, nodes), ...(await verifyHiveTasks(counter, nodes))];
    return {
      ...measured,
      dispatchUsPerNode: (dispatchSeconds * 1e6) / nodes,
      finished: true,
      exactlyOnce: problems.length === 0,
      problems,
    };
  } finally {
    await counter.close();
    await h.remove();
  }
}

function skipped(shape: DagShape, size: number, stuck: DagRow): DagRow {
  return {
    shape,
    nodes: size,
    edges: 0,
    createSeconds: Number.NaN,
    dispatchSeconds: Number.NaN,
    createUsPerNode: Number.NaN,
    dispatchUsPerNode: Number.NaN,
    finished: false,
    exactlyOnce: false,
    problems: [`not run: the ${stuck.nodes}-node ${shape} plan did not complete`],
  };
}

/**
 * The order of one shape's runs: the smallest plan's `baselineRuns` runs spread among the larger
 * plans (one first, one after each larger plan, any left at the end). The growth base then sees
 * the machine over the same minutes as the plans divided by it: a shared machine drifts by
 * ±20 % within minutes, and three 1,000-node runs back to back measured only their own minute.
 */
export function shapeSchedule(sizes: readonly number[], baselineRuns: number): number[] {
  const [base, ...larger] = sizes;
  if (base === undefined) return [];
  const out = [base];
  let left = Math.max(1, baselineRuns) - 1;
  for (const size of larger) {
    out.push(size);
    if (left > 0) {
      out.push(base);
      left--;
    }
  }
  for (; left > 0; left--) out.push(base);
  return out;
}

/**
 * Several runs of one plan as one row: the run of median dispatch cost, exactly once only if
 * every run was, every run's µs/node kept in the order run. A run that did not finish is the row.
 */
export function medianRow(rows: readonly DagRow[]): DagRow {
  const unfinished = rows.find((r) => !r.finished);
  if (unfinished) return unfinished;
  if (rows.length === 1) return rows[0]!;
  const median = [...rows].sort((a, b) => a.dispatchUsPerNode - b.dispatchUsPerNode)[
    Math.floor((rows.length - 1) / 2)
  ]!;
  return {
    ...median,
    exactlyOnce: rows.every((r) => r.exactlyOnce),
    problems: [...new Set(rows.flatMap((r) => r.problems))],
    dispatchRuns: rows.map((r) => r.dispatchUsPerNode),
  };
}

export async function measureDags(ctx: BenchContext, backend: Backend, o: DagOptions): Promise<DagRow[]> {
  const worker = new WorkerProcess();
  const base = o.sizes[0];
  try {
    await runPlan(ctx, backend, worker, "layered", o.warmupNodes, o.concurrency);
    const rows: DagRow[] = [];
    for (const shape of o.shapes) {
      const baseRuns: DagRow[] = [];
      const larger = new Map<number, DagRow>();
      let stuck: DagRow | null = null;
      for (const size of shapeSchedule(o.sizes, o.baselineRuns)) {
        const row = await runPlan(ctx, backend, worker, shape, size, o.concurrency);
        if (size === base) baseRuns.push(row);
        else larger.set(size, row);
        // A larger plan of a shape whose plan did not finish would not either: stop the shape.
        if (!row.finished) {
          stuck = row;
          break;
        }
      }
      if (baseRuns.length > 0) rows.push(medianRow(baseRuns));
      for (const size of o.sizes.slice(1)) rows.push(larger.get(size) ?? skipped(shape, size, stuck!));
    }
    return rows;
  } finally {
    await worker.exit();
  }
}
