import { maxOf } from "../format/text.ts";
import type { Dag } from "./graph.ts";

/** Sizes of the drawing, in SVG user units. */
export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 48;
const GAP_X = 70;
const GAP_Y = 22;
const PAD = 16;

export interface PositionedNode {
  id: string;
  x: number;
  y: number;
}

/** Where each node goes in a left-to-right drawing, and each edge's end points. */
export interface DagLayout {
  width: number;
  height: number;
  nodeWidth: number;
  nodeHeight: number;
  nodes: PositionedNode[];
  /** From the right middle of `from` to the left middle of `to`. */
  edges: { from: string; to: string; x1: number; y1: number; x2: number; y2: number }[];
}

/** Places layers as columns, nodes in their order, each column centred on the tallest one. */
export function layoutDag(dag: Dag): DagLayout {
  const tallest = maxOf(
    dag.layers.map((l) => l.length),
    1,
  );
  const height = PAD * 2 + tallest * NODE_HEIGHT + (tallest - 1) * GAP_Y;
  const width = PAD * 2 + dag.layers.length * NODE_WIDTH + Math.max(0, dag.layers.length - 1) * GAP_X;
  const at = new Map<string, PositionedNode>();
  dag.layers.forEach((ids, li) => {
    const columnHeight = ids.length * NODE_HEIGHT + (ids.length - 1) * GAP_Y;
    const top = (height - columnHeight) / 2;
    ids.forEach((id, k) => {
      at.set(id, { id, x: PAD + li * (NODE_WIDTH + GAP_X), y: Math.round(top + k * (NODE_HEIGHT + GAP_Y)) });
    });
  });
  const nodes = dag.nodes.map((n) => at.get(n.id)!);
  const edges = dag.edges.map((e) => {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    return {
      ...e,
      x1: a.x + NODE_WIDTH,
      y1: a.y + NODE_HEIGHT / 2,
      x2: b.x,
      y2: b.y + NODE_HEIGHT / 2,
    };
  });
  return { width, height, nodeWidth: NODE_WIDTH, nodeHeight: NODE_HEIGHT, nodes, edges };
}
