import { describe, expect, it } from "vitest";
import { secondsFromFirstStart } from "../measure.ts";
import type { ProcessingRow } from "../results.ts";
import { medianRun } from "./processing.ts";

const run = (rate: number, problems: string[] = []): ProcessingRow => ({
  system: "hive",
  processes: 1,
  concurrency: 8,
  n: 100,
  seconds: 100 / rate,
  rate,
  exactlyOnce: problems.length === 0,
  problems,
});

describe("medianRun", () => {
  it("reports the run of median rate and every run's rate in the order run", () => {
    const m = medianRun([run(30), run(10), run(20)]);
    expect(m?.rate).toBe(20);
    expect(m?.seconds).toBe(5);
    expect(m?.runRates).toEqual([30, 10, 20]);
  });

  it("is exactly once only if every run was, with every run's problems", () => {
    const m = medianRun([run(10), run(20, ["1 tasks never executed"]), run(30)]);
    expect(m?.rate).toBe(20);
    expect(m?.exactlyOnce).toBe(false);
    expect(m?.problems).toEqual(["1 tasks never executed"]);
    expect(medianRun([run(10, ["x"]), run(20), run(30)])?.exactlyOnce).toBe(false);
  });

  it("keeps a single run as it is, and has nothing to report without runs", () => {
    expect(medianRun([run(12)])).toEqual(run(12));
    expect(medianRun([])).toBeNull();
  });
});

describe("secondsFromFirstStart", () => {
  it("times from the first start a worker reported, when it lies between go and end", () => {
    expect(secondsFromFirstStart([1500, 1200, null], 1000, 3000)).toBe(1.8);
  });

  it("times from go when a child's clock puts its first start outside [go, end], or none came", () => {
    // A child's clock a few ms ahead: its first start after this process's end.
    expect(secondsFromFirstStart([3004], 1000, 3000)).toBe(2);
    expect(secondsFromFirstStart([990], 1000, 3000)).toBe(2);
    expect(secondsFromFirstStart([null], 1000, 3000)).toBe(2);
    expect(secondsFromFirstStart([], 1000, 1000.5)).toBeGreaterThan(0);
  });
});
