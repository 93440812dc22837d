import { describe, expect, it } from "vitest";
import type { DagRow } from "../results.ts";
import { medianRow, shapeSchedule } from "./dag.ts";

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

describe("shapeSchedule", () => {
  it("spreads the smallest plan's runs: one first, one after each larger plan", () => {
    expect(shapeSchedule([1000, 10_000, 100_000], 3)).toEqual([1000, 10_000, 1000, 100_000, 1000]);
  });

  it("puts the runs left after the last larger plan at the end", () => {
    expect(shapeSchedule([20, 40], 3)).toEqual([20, 40, 20, 20]);
  });

  it("runs every size once when the base has one run", () => {
    expect(shapeSchedule([20, 40, 80], 1)).toEqual([20, 40, 80]);
    expect(shapeSchedule([20, 40, 80], 0)).toEqual([20, 40, 80]);
  });

  it("runs fewer base runs than larger plans without filling every gap", () => {
    expect(shapeSchedule([1, 2, 3, 4], 2)).toEqual([1, 2, 1, 3, 4]);
  });
});

describe("medianRow", () => {
  it("keeps the run of median dispatch cost and every run's µs/node in the order run", () => {
    const m = medianRow([row(300), row(100), row(200)]);
    expect(m.dispatchUsPerNode).toBe(200);
    expect(m.dispatchRuns).toEqual([300, 100, 200]);
  });

  it("is exactly once only if every run was, with every run's problems", () => {
    const m = medianRow([row(1), row(2, true, ["task x ran twice"]), row(3)]);
    expect(m.exactlyOnce).toBe(false);
    expect(m.problems).toEqual(["task x ran twice"]);
  });

  it("is the run that did not finish, if one did not", () => {
    const m = medianRow([row(1), row(9, false, ["did not complete"])]);
    expect(m.finished).toBe(false);
    expect(m.problems).toEqual(["did not complete"]);
  });

  it("is the run itself for one run", () => {
    expect(medianRow([row(42)])).toEqual(row(42));
  });
});
