import type { Dag, NodeState } from "./graph.ts";

/** Fill and stroke per node state, shared by the exports (the dashboard's CSS uses the same). */
export const STATE_COLORS: Record<NodeState, { fill: string; stroke: string }> = {
  completed: { fill: "#d3f9d8", stroke: "#2b8a3e" },
  in_progress: { fill: "#d0ebff", stroke: "#1971c2" },
  queued: { fill: "#fff3bf", stroke: "#e67700" },
  blocked: { fill: "#f1f3f5", stroke: "#868e96" },
  failed: { fill: "#ffe3e3", stroke: "#c92a2a" },
  cancelled: { fill: "#f3d9fa", stroke: "#862e9c" },
  upstream_failed: { fill: "#ffe8cc", stroke: "#d9480f" },
  missing: { fill: "#ffffff", stroke: "#adb5bd" },
};

export const EXPORT_FORMATS = ["mermaid", "dot"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The plan's DAG as Mermaid or Graphviz DOT source, nodes coloured by state. */
export function exportDag(dag: Dag, format: ExportFormat, planId: string): string {
  return format === "mermaid" ? toMermaid(dag, planId) : toDot(dag, planId);
}

// Mermaid labels are quoted strings where only entity codes are safe for anything unusual:
// every character outside a small set becomes `#<code>;` (quotes, <, >, &, #, brackets…).
const mermaidText = (s: string) =>
  [...s.replace(/\s+/g, " ")]
    .map((c) => (/[A-Za-z0-9 _.,:;!?/'+=*@-]/.test(c) ? c : `#${c.codePointAt(0)};`))
    .join("");

/** Mermaid `flowchart LR`; node ids are `n<index>` since subtask ids may hold ':' or '.'. */
export function toMermaid(dag: Dag, planId: string): string {
  const ids = new Map(dag.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = [`%% plan ${mermaidText(planId)}`, "flowchart LR"];
  for (const n of dag.nodes)
    lines.push(`  ${ids.get(n.id)}["${mermaidText(`${n.id}: ${n.title}`)}<br/>${mermaidText(n.state)}"]`);
  for (const e of dag.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  const used = [...new Set(dag.nodes.map((n) => n.state))];
  for (const state of used) {
    const c = STATE_COLORS[state];
    lines.push(`  classDef ${state} fill:${c.fill},stroke:${c.stroke},color:#212529`);
    lines.push(
      `  class ${dag.nodes
        .filter((n) => n.state === state)
        .map((n) => ids.get(n.id))
        .join(",")} ${state}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are replaced on purpose
const CONTROL = /[\u0000-\u001f\u007f]/g;

// DOT quoted strings: escape backslash first (else "\l" or "\N" would be interpreted), then quotes;
// control characters become spaces.
const dotString = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(CONTROL, " ")}"`;

/** Graphviz `digraph`, left to right, rounded boxes filled by state. */
export function toDot(dag: Dag, planId: string): string {
  const lines = [
    `digraph ${dotString(`plan ${planId}`)} {`,
    "  rankdir=LR;",
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
  ];
  for (const n of dag.nodes) {
    const c = STATE_COLORS[n.state];
    // The label joins escaped parts with DOT's own "\n" (a line break in the label).
    const label = `"${[n.id, n.title, n.state].map((p) => dotString(p).slice(1, -1)).join("\\n")}"`;
    lines.push(`  ${dotString(n.id)} [label=${label}, fillcolor="${c.fill}", color="${c.stroke}"];`);
  }
  for (const e of dag.edges) lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
