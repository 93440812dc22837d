/**
 * Plan shapes for the DAG benchmark, as plan data (`sub_tasks`). Each subtask's payload carries
 * its ordinal `i`, so the worker's handler records prove each node ran exactly once.
 *
 * - layered: layers of 100 nodes (n/10 for small n), each node depending on 3 nodes of the layer before;
 * - fan-out: one root, every other node depending on it;
 * - fan-in: a reduce tree, up to 1,000 dependencies per node (plans allow 10,000), down to one sink;
 * - chain: each node depending on the one before.
 */
import type { PlanDataInput, SubTaskInput } from "@hive/models";
import type { DagShape } from "./results.ts";

export const DAG_SHAPES = ["layered", "fan-out", "fan-in", "chain"] as const satisfies readonly DagShape[];
export const LAYER_WIDTH = 100;
export const FAN_IN = 1000;

function node(i: number, id: string, dependencies: string[]): SubTaskInput {
  return { id, title: `node ${id}`, task_type: "bench", dependencies, payload: { i } };
}

function layered(n: number): SubTaskInput[] {
  const width = Math.min(LAYER_WIDTH, Math.max(1, Math.ceil(n / 10)));
  const out: SubTaskInput[] = [];
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / width);
    const j = i % width;
    const deps =
      layer === 0 ? [] : [...new Set([j, (j + 1) % width, (j + 7) % width])].map((k) => `L${layer - 1}-${k}`);
    out.push(node(i, `L${layer}-${j}`, deps));
  }
  return out;
}

function fanOut(n: number): SubTaskInput[] {
  return Array.from({ length: n }, (_, i) => node(i, `n${i}`, i === 0 ? [] : ["n0"]));
}

/** Node count of a reduce tree over `leaves` leaves. */
function treeSize(leaves: number): number {
  let total = leaves;
  for (let level = leaves; level > 1; ) {
    level = Math.ceil(level / FAN_IN);
    total += level;
  }
  return total;
}

function fanIn(n: number): SubTaskInput[] {
  let leaves = n - 1;
  while (leaves > 1 && treeSize(leaves) > n) leaves--;
  const out: SubTaskInput[] = [];
  let level = Array.from({ length: leaves }, (_, k) => `leaf${k}`);
  for (const id of level) out.push(node(out.length, id, []));
  for (let depth = 1; level.length > 1; depth++) {
    const next: string[] = [];
    for (let k = 0; k < level.length; k += FAN_IN) {
      const id = `sum${depth}-${next.length}`;
      out.push(node(out.length, id, level.slice(k, k + FAN_IN)));
      next.push(id);
    }
    level = next;
  }
  return out;
}

function chain(n: number): SubTaskInput[] {
  return Array.from({ length: n }, (_, i) => node(i, `c${i}`, i === 0 ? [] : [`c${i - 1}`]));
}

const builders: Record<DagShape, (n: number) => SubTaskInput[]> = {
  layered,
  "fan-out": fanOut,
  "fan-in": fanIn,
  chain,
};

/** Plan data of about `n` nodes in this shape (fan-in may come out a node or two short). */
export function buildPlan(shape: DagShape, n: number): PlanDataInput & { sub_tasks: SubTaskInput[] } {
  return { sub_tasks: builders[shape](n) };
}

/** Dependencies (edges) of a plan. */
export function edgeCount(plan: { sub_tasks: SubTaskInput[] }): number {
  return plan.sub_tasks.reduce((s, t) => s + (t.dependencies?.length ?? 0), 0);
}
