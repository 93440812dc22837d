import { clean, maxOf, type Style, stateMark, stateName, truncate, width } from "../format/text.ts";
import type { Dag } from "./graph.ts";

/**
 * Draws the DAG for a terminal, one layer after the other (a node waits only for nodes in the
 * layers above it), each node with its state and the nodes it waits for:
 *
 *   ┌ layer 1
 *   │ ✔ design  Design the page  completed
 *   ├ layer 2
 *   │ ▶ api     Build the API    in_progress  ← design
 *   └ layer 3
 *     · ship    Ship it          blocked      ← api
 */
export function drawDag(dag: Dag, style: Style, titleWidth = 48): string {
  const byId = new Map(dag.nodes.map((n) => [n.id, n]));
  const idWidth = Math.min(32, maxOf(dag.nodes.map((n) => width(clean(n.id)))));
  const tWidth = Math.min(titleWidth, maxOf(dag.nodes.map((n) => width(clean(n.title)))));
  const stateWidth = maxOf(dag.nodes.map((n) => width(clean(n.state))));
  const out: string[] = [];
  dag.layers.forEach((ids, li) => {
    const last = li === dag.layers.length - 1;
    const head = dag.layers.length === 1 ? "─" : li === 0 ? "┌" : last ? "└" : "├";
    out.push(`${head} layer ${li + 1}`);
    const gutter = last ? " " : "│";
    for (const id of ids) {
      const n = byId.get(id)!;
      const cells = [
        stateMark(n.state, style),
        padTo(truncate(clean(n.id), idWidth), idWidth),
        padTo(truncate(clean(n.title), tWidth), tWidth),
        stateName(n.state, style) + " ".repeat(stateWidth - width(clean(n.state))),
      ];
      const waits = n.dependencies.length > 0 ? `  ← ${n.dependencies.map(clean).join(", ")}` : "";
      out.push(`${gutter} ${cells.join("  ")}${waits}`.trimEnd());
    }
  });
  return out.join("\n");
}

const padTo = (text: string, w: number) => text + " ".repeat(Math.max(0, w - width(text)));
