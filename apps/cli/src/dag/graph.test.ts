import type { ExecutionPlan, SubTaskInput, Task } from "@hive/models";
import { PlanDataSchema } from "@hive/models";
import { describe, expect, it } from "vitest";
import { toDot, toMermaid } from "./export.ts";
import { buildDag } from "./graph.ts";
import { layoutDag, NODE_HEIGHT, NODE_WIDTH } from "./layout.ts";

const plan = (subs: SubTaskInput[]): Pick<ExecutionPlan, "planData"> => ({
  planData: PlanDataSchema.parse({ sub_tasks: subs }),
});
const task = (subtaskId: string, status: Task["status"]) =>
  ({ id: `p:${subtaskId}`, subtaskId, status }) as Task;

describe("buildDag", () => {
  it("puts each node one layer past its deepest dependency", () => {
    const dag = buildDag(
      plan([
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
        { id: "c", title: "C", dependencies: ["a", "b"] },
        { id: "d", title: "D" },
      ]),
      [],
    );
    expect(Object.fromEntries(dag.nodes.map((n) => [n.id, n.layer]))).toEqual({ a: 0, b: 1, c: 2, d: 0 });
    expect(dag.layers).toEqual([["a", "d"], ["b"], ["c"]]);
    expect(dag.edges).toEqual([
      { from: "a", to: "b" },
      { from: "a", to: "c" },
      { from: "b", to: "c" },
    ]);
  });

  it("orders a layer after its dependencies, so parallel chains do not cross", () => {
    const dag = buildDag(
      plan([
        { id: "top", title: "T" },
        { id: "bottom", title: "B" },
        { id: "after-bottom", title: "AB", dependencies: ["bottom"] },
        { id: "after-top", title: "AT", dependencies: ["top"] },
      ]),
      [],
    );
    expect(dag.layers).toEqual([
      ["top", "bottom"],
      ["after-top", "after-bottom"],
    ]);
  });

  it("takes each node's state from its task, and marks a subtask without one as missing", () => {
    const dag = buildDag(
      plan([
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
      ]),
      [task("a", "completed")],
    );
    expect(dag.nodes.map((n) => [n.id, n.state, n.taskId])).toEqual([
      ["a", "completed", "p:a"],
      ["b", "missing", null],
    ]);
  });

  it("lays out a 200k-node chain (the largest plan) without exceeding the stack or argument limits", () => {
    // Built without the schema's parse (slow at this size); buildDag reads ids, titles and edges.
    const n = 200_000;
    const subs = Array.from({ length: n }, (_, i) => ({
      id: `n${i}`,
      title: `node ${i}`,
      task_type: "generic",
      dependencies: i ? [`n${i - 1}`] : [],
    }));
    const dag = buildDag({ planData: { sub_tasks: subs } } as unknown as Pick<ExecutionPlan, "planData">, []);
    expect(dag.layers).toHaveLength(n);
    const layout = layoutDag(dag);
    expect(layout.nodes[n - 1]!.x).toBeGreaterThan(layout.nodes[0]!.x);
    expect(layout.height).toBe(NODE_HEIGHT + 32);
  });
});

describe("layoutDag", () => {
  it("places layers as columns left to right, never two nodes on one spot, edges from right to left sides", () => {
    const dag = buildDag(
      plan([
        { id: "a", title: "A" },
        { id: "b", title: "B", dependencies: ["a"] },
        { id: "c", title: "C", dependencies: ["a"] },
      ]),
      [],
    );
    const l = layoutDag(dag);
    const at = new Map(l.nodes.map((n) => [n.id, n]));
    expect(at.get("b")!.x).toBe(at.get("c")!.x);
    expect(at.get("b")!.x).toBeGreaterThan(at.get("a")!.x + NODE_WIDTH);
    expect(new Set(l.nodes.map((n) => `${n.x},${n.y}`)).size).toBe(3);
    const e = l.edges.find((x) => x.to === "b")!;
    expect([e.x1, e.x2]).toEqual([at.get("a")!.x + NODE_WIDTH, at.get("b")!.x]);
    for (const n of l.nodes) {
      expect(n.x + NODE_WIDTH).toBeLessThanOrEqual(l.width);
      expect(n.y + NODE_HEIGHT).toBeLessThanOrEqual(l.height);
    }
  });
});

describe("exports", () => {
  it("never let a title's newline or quote end a Mermaid or DOT string", () => {
    const dag = buildDag(plan([{ id: "a", title: 'x"]\n--> evil["y' }]), []);
    const mermaid = toMermaid(dag, "p");
    expect(mermaid.split("\n").filter((l) => l.includes("evil"))).toEqual([
      '  n0["a: x#34;#93; --#62; evil#91;#34;y<br/>missing"]',
    ]);
    const dot = toDot(dag, "p");
    expect(dot).toContain('"a" [label="a\\nx\\"] --> evil[\\"y\\nmissing"');
  });
});
