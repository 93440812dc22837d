import { describe, expect, it } from "vitest";
import type { DagRow } from "../results.ts";
import { medianPlanRun } from "./dag.ts";

const row = (us: number, finished = true, problems: string[] = []): DagRow => ({
  shape: "chain",
  nodes: 10,
  edges: 9,
  createSeconds: 0.01,
  dispatchSeconds: (us * 10) / 1e6,
  createUsPerNode: 1000,
  dispatchUsPerNode: us,
  finished,
  exactlyOnce: finished && problems.length === 0,
  problems,
});

const runsOf = (rows: DagRow[]) => {
  let k = 0;
  const calls = () => k;
  return { run: async () => rows[k++]!, calls };
};

describe("medianPlanRun", () => {
  it("keeps the run of median dispatch cost and every run's µs/node in the order run", async () => {
    const { run, calls } = runsOf([row(300), row(100), row(200)]);
    const m = await medianPlanRun(3, run);
    expect(calls()).toBe(3);
    expect(m.dispatchUsPerNode).toBe(200);
    expect(m.dispatchRuns).toEqual([300, 100, 200]);
  });

  it("is exactly once only if every run was, with every run's problems", async () => {
    const { run } = runsOf([row(1), row(2, true, ["task x ran twice"]), row(3)]);
    const m = await medianPlanRun(3, run);
    expect(m.exactlyOnce).toBe(false);
    expect(m.problems).toEqual(["task x ran twice"]);
  });

  it("stops at a run that did not finish and returns it", async () => {
    const { run, calls } = runsOf([row(1), row(9, false, ["did not complete"]), row(3)]);
    const m = await medianPlanRun(3, run);
    expect(calls()).toBe(2);
    expect(m.finished).toBe(false);
  });

  it("is the run itself for one run", async () => {
    const { run } = runsOf([row(42)]);
    expect(await medianPlanRun(1, run)).toEqual(row(42));
  });
});
