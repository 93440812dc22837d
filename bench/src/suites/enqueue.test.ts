import { describe, expect, it } from "vitest";
import type { EnqueueRow } from "../results.ts";
import { medianEnqueue } from "./enqueue.ts";

const run = (oneRate: number, batchRate: number | null): EnqueueRow => ({
  system: "hive",
  oneRate,
  oneN: 100,
  batchRate,
  batchN: 1000,
  batchSize: 100,
});

describe("medianEnqueue", () => {
  it("takes the median of each rate on its own and keeps every run's rates in the order run", () => {
    const m = medianEnqueue([run(30, 100), run(10, 300), run(20, 200)]);
    expect(m?.oneRate).toBe(20);
    expect(m?.batchRate).toBe(200);
    expect(m?.oneRuns).toEqual([30, 10, 20]);
    expect(m?.batchRuns).toEqual([100, 300, 200]);
  });

  it("keeps a library without a batch API at null", () => {
    expect(medianEnqueue([run(1, null), run(2, null), run(3, null)])?.batchRate).toBeNull();
  });

  it("is the run itself when there is one, and null when there is none", () => {
    expect(medianEnqueue([run(12, 34)])).toEqual(run(12, 34));
    expect(medianEnqueue([])).toBeNull();
  });
});
