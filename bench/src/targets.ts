/** The issue's targets, evaluated from the figures of both backends (the SQLite ones need graphile-worker's). */
import type { BenchConfig } from "./config.ts";
import { fmtRate } from "./format.ts";
import type { BackendResults, ProcessingRow, TargetRow } from "./results.ts";
import type { Backend } from "./systems/types.ts";

const BATCH_ENQUEUE_GOAL = 250_000;
const PLAN_CREATE_GOAL_S = 1;
const GROWTH_GOAL = 1.3;
const RSS_GOAL_MB = 150;

function rateOf(r: BackendResults | undefined, system: string, processes: number): ProcessingRow | undefined {
  return r?.processing.find((p) => p.system === system && p.processes === processes);
}

function ratioTarget(
  target: string,
  hive: ProcessingRow | undefined,
  other: ProcessingRow | undefined,
  otherLabel: string,
  goal: number,
): TargetRow {
  if (!hive || !other)
    return { target, figure: `no figure for ${hive ? otherLabel : "Hive"}`, goal: `≥ ${goal}×`, met: null };
  const ratio = hive.rate / other.rate;
  return {
    target,
    figure: `Hive ${fmtRate(hive.rate)} vs ${otherLabel} ${fmtRate(other.rate)}: ${ratio.toFixed(2)}×`,
    goal: `≥ ${goal}×`,
    met: ratio >= goal,
  };
}

function commonTargets(r: BackendResults, config: BenchConfig): TargetRow[] {
  const out: TargetRow[] = [];
  const enq = r.enqueue.find((e) => e.system === "hive");
  // PostgreSQL: the server's own write of the same rows, measured in this run, bounds any client.
  const bound = r.enqueue.find((e) => e.system === "pg-server")?.batchRate;
  const boundText = bound ? `; PostgreSQL alone, rows made by the server: ${fmtRate(bound)}` : "";
  out.push({
    target: "batch enqueue",
    figure: enq?.batchRate ? `${fmtRate(enq.batchRate)} tasks/s${boundText}` : "no figure",
    goal: `≥ ${fmtRate(BATCH_ENQUEUE_GOAL)} tasks/s`,
    met: enq?.batchRate ? enq.batchRate >= BATCH_ENQUEUE_GOAL : null,
  });
  // The sizes this backend's DAG rows were measured at (a run may use --dag-sizes).
  const measured = [...new Set(r.dag.map((d) => d.nodes))]
    .sort((x, y) => x - y)
    .filter((n, k, all) => k === 0 || n - all[k - 1]! > 2); // fan-in plans may be a node short
  const sizes = measured.length >= 2 ? measured : config.dag.sizes;
  const [small, mid] = [sizes[0]!, sizes[1]!];
  const large = sizes[sizes.length - 1]!;
  const near = (n: number, size: number) => Math.abs(n - size) <= 2;
  const midRows = r.dag.filter((d) => near(d.nodes, mid));
  const created = midRows.filter((d) => Number.isFinite(d.createSeconds));
  const worstCreate = created.reduce((w, d) => (!w || d.createSeconds > w.createSeconds ? d : w), created[0]);
  out.push({
    target: `${mid.toLocaleString("en-US")}-node plan created (slowest shape)`,
    figure: worstCreate ? `${worstCreate.createSeconds.toFixed(3)} s (${worstCreate.shape})` : "no figure",
    goal: `< ${PLAN_CREATE_GOAL_S} s`,
    met: worstCreate ? worstCreate.createSeconds < PLAN_CREATE_GOAL_S : null,
  });
  const growth = r.dag
    .filter((d) => near(d.nodes, large))
    .map((d) => {
      const base = r.dag.find((b) => b.shape === d.shape && near(b.nodes, small));
      // An unfinished plan's µs/node is a lower bound; a skipped one has none (growth: infinite).
      const g = Number.isFinite(d.dispatchUsPerNode)
        ? d.dispatchUsPerNode / (base?.dispatchUsPerNode ?? 0)
        : Infinity;
      return base ? { shape: d.shape, g, finished: d.finished } : null;
    })
    .filter((x): x is { shape: DagShapeName; g: number; finished: boolean } => x !== null);
  // An unfinished plan comes first: its growth is only a lower bound.
  const worstGrowth = growth.reduce(
    (w, x) => (!w || (!x.finished && w.finished) || (x.finished === w.finished && x.g > w.g) ? x : w),
    growth[0],
  );
  out.push({
    target: `per-node dispatch cost, ${small.toLocaleString("en-US")} → ${large.toLocaleString("en-US")} nodes (worst shape)`,
    figure: worstGrowth
      ? `${growthText(worstGrowth)} (${worstGrowth.shape}); ${growth.map((x) => `${x.shape} ${growthText(x)}`).join(", ")}`
      : "no figure",
    goal: `≤ ${GROWTH_GOAL}×`,
    // A lower bound above the goal is a miss; one below it says nothing.
    met: !worstGrowth
      ? null
      : worstGrowth.finished
        ? worstGrowth.g <= GROWTH_GOAL
        : worstGrowth.g > GROWTH_GOAL
          ? false
          : null,
  });
  out.push({
    target: `worker peak RSS, ${(r.memory?.queued ?? config.memory.queued).toLocaleString("en-US")} tasks queued`,
    figure: r.memory ? `${r.memory.peakRssMb.toFixed(0)} MB` : "no figure",
    goal: `< ${RSS_GOAL_MB} MB`,
    met: r.memory ? r.memory.peakRssMb < RSS_GOAL_MB : null,
  });
  return out;
}

type DagShapeName = BackendResults["dag"][number]["shape"];

function growthText(x: { g: number; finished: boolean }): string {
  if (!Number.isFinite(x.g)) return "not run (a smaller plan did not complete)";
  return x.finished ? `${x.g.toFixed(2)}×` : `≥ ${x.g.toFixed(2)}× (did not complete)`;
}

/** Fills `targets` of each backend's results. */
export function evaluateTargets(all: Partial<Record<Backend, BackendResults>>, config: BenchConfig): void {
  const { sqlite, postgres } = all;
  const graphile = (p: number) => rateOf(postgres, "graphile-worker", p);
  if (sqlite && !sqlite.skipped) {
    const rows: TargetRow[] = [];
    for (const p of [1, 2]) {
      const peers = sqlite.processing.filter(
        (r) => r.processes === p && (r.system === "plainjob" || r.system === "liteque"),
      );
      const best = peers.reduce<ProcessingRow | undefined>(
        (b, r) => (!b || r.rate > b.rate ? r : b),
        undefined,
      );
      rows.push(
        ratioTarget(
          `SQLite processing ≥ 2× the best SQLite peer (${p} process${p > 1 ? "es" : ""})`,
          rateOf(sqlite, "hive", p),
          best,
          best?.system ?? "SQLite peers",
          2,
        ),
      );
      rows.push(
        ratioTarget(
          `SQLite processing ≥ graphile-worker batched (${p} process${p > 1 ? "es" : ""})`,
          rateOf(sqlite, "hive", p),
          graphile(p),
          "graphile-worker",
          1,
        ),
      );
    }
    sqlite.targets = [...rows, ...commonTargets(sqlite, config)];
  }
  if (postgres && !postgres.skipped) {
    const rows: TargetRow[] = [1, 2].map((p) =>
      ratioTarget(
        `PostgreSQL processing ≥ graphile-worker batched (${p} process${p > 1 ? "es" : ""})`,
        rateOf(postgres, "hive", p),
        graphile(p),
        "graphile-worker",
        1,
      ),
    );
    postgres.targets = [...rows, ...commonTargets(postgres, config)];
  }
}
