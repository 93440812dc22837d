import type { ExecutionPlan, Task, TaskStatus } from "@hive/models";
import { maxOf } from "../format/text.ts";

/** A node's state: its task's status, or "missing" when the task was deleted or not created yet. */
export type NodeState = TaskStatus | "missing";

/** One subtask of a plan, with the state of its task and its place in the drawing. */
export interface DagNode {
  /** The subtask id (unique in the plan). */
  id: string;
  /** The task that runs it (`<planId>:<subtaskId>`), null when there is none. */
  taskId: string | null;
  title: string;
  taskType: string;
  state: NodeState;
  attempts: number;
  /** Subtask ids this one waits for. */
  dependencies: string[];
  /** Longest path from a root: 0 for subtasks without dependencies. */
  layer: number;
  /** Position within its layer, from the top (after crossing reduction). */
  order: number;
}

export interface Dag {
  nodes: DagNode[];
  /** `from` must complete before `to` runs. */
  edges: { from: string; to: string }[];
  /** Subtask ids per layer, in order. */
  layers: string[][];
}

/**
 * Builds the plan's DAG with each node's state. Layers by longest path (Kahn order, linear in
 * nodes + edges, so 100k-node plans are fine), then a few barycenter sweeps to reduce crossings.
 * The plan was validated as a DAG when stored; a node caught in a cycle anyway is put last.
 */
export function buildDag(plan: Pick<ExecutionPlan, "planData">, tasks: readonly Task[]): Dag {
  const subtasks = plan.planData.sub_tasks;
  const bySubtask = new Map<string, Task>();
  for (const t of tasks) if (t.subtaskId) bySubtask.set(t.subtaskId, t);
  const index = new Map(subtasks.map((s, i) => [s.id, i]));
  const dependents: number[][] = subtasks.map(() => []);
  const indegree = subtasks.map((s) => s.dependencies.filter((d) => index.has(d)).length);
  subtasks.forEach((s, i) => {
    for (const d of s.dependencies) {
      const j = index.get(d);
      if (j !== undefined) dependents[j]!.push(i);
    }
  });
  const layer = subtasks.map(() => 0);
  const queue = subtasks.flatMap((_, i) => (indegree[i] === 0 ? [i] : []));
  const seen = subtasks.map(() => false);
  for (let head = 0; head < queue.length; head++) {
    const i = queue[head]!;
    seen[i] = true;
    for (const j of dependents[i]!) {
      layer[j] = Math.max(layer[j]!, layer[i]! + 1);
      if (--indegree[j]! === 0) queue.push(j);
    }
  }
  const maxLayer = maxOf(layer);
  subtasks.forEach((_, i) => {
    if (!seen[i]) layer[i] = maxLayer + 1;
  });
  const layers: number[][] = [];
  for (let i = 0; i < subtasks.length; i++) {
    const l = layer[i]!;
    if (!layers[l]) layers[l] = [];
    layers[l].push(i);
  }
  const dense = layers.filter((l) => l !== undefined);
  const order = orderLayers(
    dense,
    subtasks.map((s) => s.dependencies.flatMap((d) => (index.has(d) ? [index.get(d)!] : []))),
    dependents,
  );
  const nodes: DagNode[] = subtasks.map((s, i) => {
    const task = bySubtask.get(s.id);
    return {
      id: s.id,
      taskId: task?.id ?? null,
      title: task?.title ?? s.title,
      taskType: task?.taskType ?? s.task_type,
      state: task?.status ?? "missing",
      attempts: task?.attempts ?? 0,
      dependencies: [...s.dependencies],
      layer: layer[i]!,
      order: order[i]!,
    };
  });
  const edges = subtasks.flatMap((s) =>
    s.dependencies.filter((d) => index.has(d)).map((d) => ({ from: d, to: s.id })),
  );
  return {
    nodes,
    edges,
    layers: dense.map((l) => [...l].sort((a, b) => order[a]! - order[b]!).map((i) => subtasks[i]!.id)),
  };
}

/**
 * Orders each layer by the mean position of its neighbours (down sweeps use dependencies, up
 * sweeps dependents), keeping plan order on ties. Returns each node's position in its layer.
 */
function orderLayers(layers: number[][], deps: number[][], dependents: number[][]): number[] {
  const pos: number[] = [];
  for (const l of layers)
    l.forEach((n, k) => {
      pos[n] = k;
    });
  const sweep = (l: number[], neighbours: number[][]) => {
    if (l.length < 2) return; // nothing to order (most layers of a long chain)
    const key = (n: number) => {
      const ns = neighbours[n]!;
      return ns.length === 0 ? pos[n]! : ns.reduce((sum, m) => sum + pos[m]!, 0) / ns.length;
    };
    const keyed = l.map((n) => ({ n, k: key(n), p: pos[n]! }));
    keyed.sort((a, b) => a.k - b.k || a.p - b.p);
    keyed.forEach((e, k) => {
      pos[e.n] = k;
    });
  };
  for (let round = 0; round < 4; round++) {
    for (let i = 1; i < layers.length; i++) sweep(layers[i]!, deps);
    for (let i = layers.length - 2; i >= 0; i--) sweep(layers[i]!, dependents);
  }
  for (let i = 1; i < layers.length; i++) sweep(layers[i]!, deps);
  return pos;
}

/** Counts of nodes per state. */
export function countStates(dag: Dag): Partial<Record<NodeState, number>> {
  const out: Partial<Record<NodeState, number>> = {};
  for (const n of dag.nodes) out[n.state] = (out[n.state] ?? 0) + 1;
  return out;
}
