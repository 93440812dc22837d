/** The report of one backend: markdown (committed under bench/results/) and plain text (printed). */
import type { BenchConfig } from "./config.ts";
import { fmtFixed, fmtRate, fmtRatio, markdownTable, type Table, textTable } from "./format.ts";
import type { BackendResults, ProcessingRow } from "./results.ts";

const TITLES = { sqlite: "SQLite", postgres: "PostgreSQL" } as const;

function labelOf(r: BackendResults, id: string): string {
  return r.systems.find((s) => s.id === id)?.label ?? id;
}

/** A rate, with the range of its runs when it is a median of several. */
function rateWithRange(rate: number | undefined, runs: readonly (number | null)[] | undefined): string {
  const all = (runs ?? []).filter((x) => x !== null);
  if (rate === undefined || all.length < 2) return fmtRate(rate);
  return `${fmtRate(rate)} (${fmtRate(Math.min(...all))}–${fmtRate(Math.max(...all))})`;
}

const withRange = (row: ProcessingRow | undefined): string => rateWithRange(row?.rate, row?.runRates);

function met(v: boolean | null): string {
  return v === null ? "n/a" : v ? "yes" : "NO";
}

/** The tables of a report, in order, with their titles and a sentence on how they were measured. */
export function reportTables(
  r: BackendResults,
  c: BenchConfig,
): { title: string; note: string; table: Table }[] {
  const hiveEnq = r.enqueue.find((e) => e.system === "hive");
  const hiveProc = (p: number) => r.processing.find((x) => x.system === "hive" && x.processes === p)?.rate;
  const proc = (id: string, p: number) => r.processing.find((x) => x.system === id && x.processes === p);
  const procSystems = [...new Set(r.processing.map((x) => x.system))];
  const procRuns = Math.max(1, ...r.processing.map((x) => x.runRates?.length ?? 1));
  const enqRuns = Math.max(1, ...r.enqueue.map((x) => x.oneRuns?.length ?? 1));
  const smallest = (shape: string) => r.dag.find((d) => d.shape === shape);
  return [
    {
      title: "Targets",
      note: c.smoke
        ? "Smoke sizes: these verdicts say nothing about the real targets."
        : "The issue's targets, evaluated on this run's figures.",
      table: {
        headers: ["target", "figure", "goal", "met"],
        rows: r.targets.map((t) => [t.target, t.figure, t.goal, met(t.met)]),
      },
    },
    {
      title: "Enqueue (tasks/s)",
      note: `${fmtRate(c.enqueue.oneN)} tasks one call (one transaction) at a time, then ${fmtRate(c.enqueue.batchN)} in batches of ${fmtRate(c.enqueue.batchSize)} with the library's batch API, from one process${enqRuns > 1 ? `; each figure is the median of ${enqRuns} runs (the lowest and highest in brackets), each run on a fresh store` : ""}. "Hive ÷ this" above 1 means Hive is faster.`,
      table: {
        headers: [
          "system",
          "one at a time",
          `batches of ${fmtRate(c.enqueue.batchSize)}`,
          "Hive ÷ this (one)",
          "Hive ÷ this (batch)",
        ],
        rows: r.enqueue.map((e) => [
          labelOf(r, e.system),
          rateWithRange(e.oneRate, e.oneRuns),
          e.batchRate === null ? "no batch API" : rateWithRange(e.batchRate, e.batchRuns),
          fmtRatio(hiveEnq?.oneRate, e.oneRate),
          fmtRatio(hiveEnq?.batchRate, e.batchRate),
        ]),
      },
    },
    {
      title: `Processing ${fmtRate(c.processing.n)} no-op tasks (tasks/s)`,
      note: `Worker processes at concurrency ${c.concurrency} each, timed from the first handler start to the last completion committed${procRuns > 1 ? `; each figure is the median of ${procRuns} runs (the lowest and highest in brackets), each run on a fresh store` : ""}. "exactly once": every task's handler ran once (recorded by the handlers) and the database shows each task done once, in every run.`,
      table: {
        headers: ["system", "1 process", "2 processes", "Hive ÷ this (1)", "Hive ÷ this (2)", "exactly once"],
        rows: procSystems.map((id) => {
          const [a, b] = [proc(id, 1), proc(id, 2)];
          const ok = [a, b].filter((x) => x !== undefined);
          return [
            labelOf(r, id),
            withRange(a),
            withRange(b),
            fmtRatio(hiveProc(1), a?.rate),
            fmtRatio(hiveProc(2), b?.rate),
            ok.every((x) => x.exactlyOnce) ? "yes" : `NO: ${ok.flatMap((x) => x.problems).join("; ")}`,
          ];
        }),
      },
    },
    {
      title: "Enqueue-to-start latency, idle worker waiting (ms)",
      note: `One worker process, idle; ${c.latency.samples} tasks enqueued one at a time from another process, ${c.latency.minGapMs}–${c.latency.maxGapMs} ms apart; from just before the enqueue call to the handler's start.`,
      table: {
        headers: ["system", "p50", "p99", "max", "samples", "how the worker learns of new work"],
        rows: r.latency.map((l) => [
          labelOf(r, l.system),
          fmtFixed(l.p50Ms, 1),
          fmtFixed(l.p99Ms, 1),
          fmtFixed(l.maxMs, 1),
          String(l.samples),
          l.settings,
        ]),
      },
    },
    {
      title: "DAG plans",
      note: `Created with createExecutionPlan + createPlannedSubtasksFromPlan (validation included); dispatched by markPlanExecutionStarted and one worker process at concurrency ${c.concurrency} until the plan completes. Growth: per-node dispatch cost relative to the smallest plan of the same shape${c.dag.baselineRuns > 1 ? `, whose figures are the median of ${c.dag.baselineRuns} runs spread over the shape's measurement (one before the larger plans, one after each, any left at the end; the lowest and highest µs/node in brackets)` : ""}.`,
      table: {
        headers: [
          "shape",
          "nodes",
          "edges",
          "create (s)",
          "create µs/node",
          "dispatch (s)",
          "dispatch µs/node",
          "growth",
          "exactly once / completed",
        ],
        rows: r.dag.map((d) => [
          d.shape,
          fmtRate(d.nodes),
          fmtRate(d.edges),
          fmtFixed(d.createSeconds, 3),
          fmtFixed(d.createUsPerNode, 0),
          fmtFixed(d.dispatchSeconds, 3),
          `${d.finished ? "" : "≥ "}${fmtFixed(d.dispatchUsPerNode, 0)}${d.dispatchRuns && d.dispatchRuns.length > 1 ? ` (${fmtFixed(Math.min(...d.dispatchRuns), 0)}–${fmtFixed(Math.max(...d.dispatchRuns), 0)})` : ""}`,
          `${d.finished ? "" : "≥ "}${fmtFixed(d.dispatchUsPerNode / (smallest(d.shape)?.dispatchUsPerNode ?? Number.NaN), 2)}×`,
          d.exactlyOnce ? "yes" : d.finished ? `NO: ${d.problems.join("; ")}` : d.problems.join("; "),
        ]),
      },
    },
    {
      title: "Worker memory",
      note: "One fresh Hive worker process draining the queue; peak RSS is the process's maxRSS. It includes Node.js itself: an idle compiled worker process (`node` on the bundle: `worker processes` under Environment) importing @hive/orchestration measures ~69 MB (plain `node`: ~39 MB); under tsx's loader, used only when HIVE_BENCH_HIVE_MODULE is set, ~110 MB.",
      table: {
        headers: [
          "tasks queued",
          "RSS once open (MB)",
          "peak RSS (MB)",
          "drain (s)",
          "tasks/s",
          "exactly once",
        ],
        rows: r.memory
          ? [
              [
                fmtRate(r.memory.queued),
                fmtFixed(r.memory.openRssMb, 0),
                fmtFixed(r.memory.peakRssMb, 0),
                fmtFixed(r.memory.seconds, 2),
                fmtRate(r.memory.rate),
                r.memory.exactlyOnce ? "yes" : `NO: ${r.memory.problems.join("; ")}`,
              ],
            ]
          : [],
      },
    },
  ];
}

/** The markdown report of one backend. */
export function markdownReport(r: BackendResults, c: BenchConfig): string {
  const title = `# Hive benchmark: ${TITLES[r.backend]} backend${c.smoke ? " (smoke run)" : ""}`;
  if (r.skipped) return `${title}\n\nNot measured: ${r.skipped}\n`;
  const parts = [
    title,
    `Run ${r.startedAt}, ${r.seconds.toFixed(0)} s, \`${r.command ?? c.command}\`. ${c.processing.runs > 1 ? `Enqueue and processing figures${c.dag.baselineRuns > 1 ? ", and the smallest DAG plan of each shape," : ""} are medians of several runs (see their tables), the rest single measurements` : "Every figure is one measurement"}, on a shared 2-core machine: see the load averages below.`,
  ];
  if (r.merged?.suites.length)
    parts.push(
      `Suites ${r.merged.suites.join(", ")} come from the run of ${r.merged.from} (\`--merge\`); the others from this run.`,
    );
  if (r.merged?.systems?.length)
    parts.push(
      `The rows of ${r.merged.systems.join(", ")} come from the run of ${r.merged.from} (\`--merge --systems\`).`,
    );
  if (r.errors.length) parts.push(`## Errors\n\n${r.errors.map((e) => `- ${e}`).join("\n")}`);
  for (const t of reportTables(r, c)) parts.push(`## ${t.title}\n\n${t.note}\n\n${markdownTable(t.table)}`);
  parts.push(
    `## Versions and settings\n\n${markdownTable({
      headers: ["system", "role", "version", "settings"],
      rows: r.systems.map((s) => [s.label, s.role, s.version, s.settings]),
    })}`,
  );
  parts.push(
    `## Environment\n\n${markdownTable({
      headers: ["what", "value"],
      rows: Object.entries(r.environment),
    })}`,
  );
  return `${parts.join("\n\n")}\n`;
}

/** The plain-text tables printed at the end of a run. */
export function textReport(r: BackendResults, c: BenchConfig): string {
  const title = `== ${TITLES[r.backend]}${r.smoke ? " (smoke run: tiny sizes, the verdicts say nothing about the targets)" : ""} ==`;
  if (r.skipped) return `${title}\nnot measured: ${r.skipped}`;
  const errors = r.errors.length ? `\nERRORS:\n${r.errors.join("\n")}` : "";
  return (
    [title, ...reportTables(r, c).map((t) => `-- ${t.title}\n${textTable(t.table)}`)].join("\n\n") + errors
  );
}
