import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runBench } from "./bench.ts";
import { benchConfig } from "./config.ts";
import { DAG_SHAPES } from "./dagPlans.ts";
import type { BackendResults } from "./results.ts";
import type { Backend } from "./systems/types.ts";
import { liveWorkerProcesses } from "./workerProcess.ts";

const out = mkdtempSync(join(tmpdir(), "hive-bench-smoke-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const expected: Record<Backend, { systems: string[]; peers: string[]; targets: number }> = {
  sqlite: {
    systems: ["hive", "raw-batched", "raw-naive", "plainjob", "liteque"],
    peers: ["plainjob", "liteque"],
    targets: 8,
  },
  postgres: {
    systems: ["hive", "raw-pg", "pg-server", "graphile-worker", "pg-boss"],
    peers: ["graphile-worker", "pg-boss"],
    targets: 6,
  },
};

const positive = (v: number | null | undefined) => typeof v === "number" && Number.isFinite(v) && v > 0;

function checkBackend(r: BackendResults, sizes: number[]): void {
  const want = expected[r.backend];
  expect(r.skipped).toBeNull();
  expect(r.errors).toEqual([]);
  expect(r.systems.map((s) => s.id)).toEqual(want.systems);
  for (const s of r.systems) expect(s.version).not.toMatch(/unknown/);

  // Enqueue: every system but the naive raw loop (same inserts as the batched one).
  const enq = want.systems.filter((s) => s !== "raw-naive");
  expect(r.enqueue.map((e) => e.system)).toEqual(enq);
  for (const e of r.enqueue) {
    expect(positive(e.oneRate), `${e.system} one-at-a-time rate`).toBe(true);
    if (e.system === "liteque") expect(e.batchRate).toBeNull();
    else expect(positive(e.batchRate), `${e.system} batch rate`).toBe(true);
  }

  // Processing: every system but the enqueue-only bound, with 1 and 2 worker processes, each task
  // executed exactly once.
  expect(r.processing.map((p) => `${p.system}×${p.processes}`)).toEqual(
    want.systems.filter((s) => s !== "pg-server").flatMap((s) => [`${s}×1`, `${s}×2`]),
  );
  for (const p of r.processing) {
    expect(p.problems, `${p.system}×${p.processes}`).toEqual([]);
    expect(p.exactlyOnce).toBe(true);
    expect(positive(p.rate) && positive(p.seconds)).toBe(true);
  }

  // Latency: Hive and the peers, plausible figures (below the 60 s per-sample limit).
  expect(r.latency.map((l) => l.system)).toEqual(["hive", ...want.peers]);
  for (const l of r.latency) {
    expect(l.p50Ms).toBeGreaterThan(0);
    expect(l.p99Ms).toBeGreaterThanOrEqual(l.p50Ms);
    expect(l.maxMs).toBeLessThan(60_000);
  }

  // DAG: every shape at every size, run to completion exactly once.
  expect(r.dag.map((d) => d.shape)).toEqual(DAG_SHAPES.flatMap((s) => sizes.map(() => s)));
  for (const d of r.dag) {
    expect(d.problems, `${d.shape} ${d.nodes}`).toEqual([]);
    expect(Math.abs(d.nodes - sizes[r.dag.indexOf(d) % sizes.length]!)).toBeLessThanOrEqual(2);
    expect(positive(d.createSeconds) && positive(d.dispatchSeconds)).toBe(true);
  }

  // Memory: a peak at least the RSS seen once open, and not absurd.
  expect(r.memory?.exactlyOnce).toBe(true);
  expect(r.memory!.peakRssMb).toBeGreaterThanOrEqual(r.memory!.openRssMb * 0.99);
  expect(r.memory!.peakRssMb).toBeLessThan(4096);

  // PostgreSQL: the batch enqueue target names the server's own bound, measured in the same run.
  if (r.backend === "postgres")
    expect(r.targets.find((t) => t.target === "batch enqueue")?.figure).toMatch(
      /PostgreSQL alone, rows made by the server: [\d,]+$/,
    );

  // Every target evaluated (a verdict, whatever it is: smoke sizes say nothing about them).
  expect(r.targets).toHaveLength(want.targets);
  for (const t of r.targets) expect(t.met, t.target).not.toBeNull();
}

describe("pnpm bench --smoke", () => {
  it("writes a report per backend with every row, exactly-once runs and sane figures", async () => {
    const config = benchConfig({ smoke: true, out });
    const results = await runBench(config, () => {});

    for (const backend of ["sqlite", "postgres"] as const) {
      const r = results[backend]!;
      checkBackend(r, config.dag.sizes);
      const md = readFileSync(join(out, `${backend}.md`), "utf8");
      const json = JSON.parse(readFileSync(join(out, `${backend}.json`), "utf8")) as BackendResults;
      expect(json.processing).toHaveLength(r.processing.length);
      for (const title of [
        "Targets",
        "Enqueue",
        "Processing",
        "latency",
        "DAG plans",
        "Worker memory",
        "Versions",
      ])
        expect(md).toContain(title);
      for (const s of r.systems) expect(md).toContain(s.label);
      for (const t of r.targets) expect(md).toContain(t.target);
    }
    expect(liveWorkerProcesses()).toBe(0);
  });
});
