/**
 * Runs the benchmark: for each backend, Hive and its baselines and peers on the same workloads,
 * then the targets; writes `<backend>.md` and `<backend>.json` into the output folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchConfig, SUITES, type Suite } from "./config.ts";
import { loadAverage, machineFacts, postgresFacts } from "./environment.ts";
import { fmtFixed, fmtRate } from "./format.ts";
import { hiveModuleSource } from "./hiveModule.ts";
import { markdownReport, textReport } from "./report.ts";
import type { BackendResults, EnqueueRow, ProcessingRow } from "./results.ts";
import { measureDags } from "./suites/dag.ts";
import { measureEnqueue, medianEnqueue } from "./suites/enqueue.ts";
import { measureLatency } from "./suites/latency.ts";
import { measureMemory } from "./suites/memory.ts";
import { measureProcessing, medianRun } from "./suites/processing.ts";
import { hiveSystem } from "./systems/hive.ts";
import { graphileSystem, pgBossSystem } from "./systems/pgPeers.ts";
import { rawPgSystem, rawSqliteSystem } from "./systems/raw.ts";
import { litequeSystem, plainjobSystem } from "./systems/sqlitePeers.ts";
import type { Backend, BenchContext, System } from "./systems/types.ts";
import { evaluateTargets } from "./targets.ts";
import { WorkerProcess } from "./workerProcess.ts";
import { POLL_MS as LITEQUE_POLL_MS } from "./workers/liteque.ts";
import { PGBOSS_POLL_S } from "./workers/pgboss.ts";
import { POLL_MS as PLAINJOB_POLL_MS } from "./workers/plainjob.ts";

export type Log = (line: string) => void;

function systemsOf(backend: Backend, concurrency: number): System[] {
  return backend === "sqlite"
    ? [
        hiveSystem("sqlite"),
        rawSqliteSystem("batched", concurrency),
        rawSqliteSystem("naive", concurrency),
        plainjobSystem(concurrency),
        litequeSystem(concurrency),
      ]
    : [
        hiveSystem("postgres"),
        rawPgSystem(concurrency),
        graphileSystem(concurrency),
        pgBossSystem(concurrency),
      ];
}

/** How each system's idle worker hears of a new task (printed beside its latency). */
const WAKE_UP: Record<string, string> = {
  "hive/sqlite":
    "reads PRAGMA data_version every 5 ms while idle: a commit by another process wakes it (probe backoff 10 → 250 ms as the fallback)",
  "hive/postgres": "LISTEN/NOTIFY",
  plainjob: `polls every ${PLAINJOB_POLL_MS} ms`,
  liteque: `polls every ${LITEQUE_POLL_MS} ms`,
  "graphile-worker": "LISTEN/NOTIFY",
  "pg-boss": `polls every ${PGBOSS_POLL_S * 1000} ms (its minimum)`,
};

async function runBackend(
  ctx: BenchContext,
  backend: Backend,
  config: BenchConfig,
  log: Log,
): Promise<BackendResults> {
  const started = performance.now();
  const systems = systemsOf(backend, config.concurrency).filter(
    (s) => config.systems.length === 0 || config.systems.includes(s.id),
  );
  const r: BackendResults = {
    backend,
    smoke: config.smoke,
    command: config.command,
    startedAt: new Date().toISOString(),
    seconds: 0,
    skipped: null,
    errors: [],
    merged: null,
    environment: {
      ...machineFacts(),
      "@hive/orchestration under test": hiveModuleSource(),
      "load average at start (1/5/15 min)": loadAverage(),
    },
    systems: systems.map(({ id, label, role, version, settings }) => ({
      id,
      label,
      role,
      version,
      settings,
    })),
    enqueue: [],
    processing: [],
    latency: [],
    dag: [],
    memory: null,
    targets: [],
  };
  if (backend === "postgres") {
    const facts = ctx.pgUrl ? await postgresFacts(ctx.pgUrl) : null;
    if (!facts) {
      r.skipped = `PostgreSQL is not reachable at ${config.pgUrl}`;
      return r;
    }
    Object.assign(r.environment, facts);
  }
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    log(`[${backend}] ${what} …`);
    try {
      return await fn();
    } catch (err) {
      const message = `${what}: ${err instanceof Error ? err.message : String(err)}`;
      r.errors.push(message);
      log(`[${backend}] FAILED ${message}`);
      return null;
    }
  };
  const run = (suite: BenchConfig["suites"][number]) => config.suites.includes(suite);

  if (run("enqueue"))
    for (const s of systems.filter((x) => x.id !== "raw-naive")) {
      const runs: EnqueueRow[] = [];
      for (let k = 1; k <= config.enqueue.runs; k++) {
        const row = await attempt(`enqueue ${s.id} (run ${k})`, () => measureEnqueue(ctx, s, config.enqueue));
        if (!row) continue;
        runs.push(row);
        log(`  one: ${fmtRate(row.oneRate)}/s, batch: ${fmtRate(row.batchRate)}/s`);
      }
      const row = medianEnqueue(runs);
      if (row) r.enqueue.push(row);
    }
  // Per system: two worker processes, spawned together; the 1-process run uses the first, the
  // 2-process run both, the latency run the first again (each run opens a fresh store).
  if (run("processing") || run("latency"))
    for (const s of systems) {
      const latency = run("latency") && s.role !== "baseline";
      if (!run("processing") && !latency) continue;
      const pool = [new WorkerProcess(), new WorkerProcess()];
      try {
        if (run("processing"))
          for (const processes of [1, 2]) {
            const runs: ProcessingRow[] = [];
            for (let k = 1; k <= config.processing.runs; k++) {
              const row = await attempt(`processing ${s.id} × ${processes} (run ${k})`, () =>
                measureProcessing(ctx, s, pool.slice(0, processes), {
                  n: config.processing.n,
                  concurrency: config.concurrency,
                  batchSize: config.processing.batchSize,
                }),
              );
              if (!row) continue;
              runs.push(row);
              log(
                `  ${fmtRate(row.rate)} tasks/s, exactly once: ${row.exactlyOnce ? "yes" : row.problems.join("; ")}`,
              );
            }
            const row = medianRun(runs);
            if (row) r.processing.push(row);
          }
        if (latency) {
          const wake = WAKE_UP[s.id === "hive" ? `hive/${backend}` : s.id] ?? "";
          const row = await attempt(`latency ${s.id}`, () =>
            measureLatency(ctx, s, pool[0]!, { ...config.latency, concurrency: config.concurrency }, wake),
          );
          if (row) {
            r.latency.push(row);
            log(`  p50 ${fmtFixed(row.p50Ms, 1)} ms, p99 ${fmtFixed(row.p99Ms, 1)} ms`);
          }
        }
      } finally {
        await Promise.all(pool.map((w) => w.exit()));
      }
    }
  if (run("dag")) {
    const rows = await attempt("DAG plans", () =>
      measureDags(ctx, backend, {
        shapes: config.dag.shapes,
        sizes: config.dag.sizes,
        baselineRuns: config.dag.baselineRuns,
        concurrency: config.concurrency,
        warmupNodes: config.dag.warmupNodes,
      }),
    );
    if (rows) r.dag = rows;
  }
  if (run("memory"))
    r.memory = await attempt(`memory, ${config.memory.queued} queued`, () =>
      measureMemory(ctx, backend, {
        queued: config.memory.queued,
        concurrency: config.concurrency,
        batchSize: config.processing.batchSize,
      }),
    );
  r.environment["load average at end (1/5/15 min)"] = loadAverage();
  r.seconds = (performance.now() - started) / 1000;
  return r;
}

/**
 * `--merge`: the suites not run now are taken from the report already in the output folder, so
 * one suite can be re-run (after a fix, or when it failed) without re-running the others.
 */
export function mergePrevious(r: BackendResults, config: BenchConfig): void {
  const file = join(config.outDir, `${r.backend}.json`);
  if (r.skipped || !existsSync(file)) return;
  const prev = JSON.parse(readFileSync(file, "utf8")) as BackendResults;
  const taken = SUITES.filter((s) => !config.suites.includes(s));
  if (taken.includes("enqueue")) r.enqueue = prev.enqueue;
  if (taken.includes("processing")) r.processing = prev.processing;
  if (taken.includes("latency")) r.latency = prev.latency;
  if (taken.includes("dag")) r.dag = prev.dag;
  if (taken.includes("memory")) r.memory = prev.memory;
  r.errors = [
    ...prev.errors.filter((e) => taken.some((s) => e.startsWith(SUITE_ERROR_PREFIX[s]))),
    ...r.errors,
  ];
  // Every suite run now: nothing of the earlier report is kept, so nothing is said to be.
  r.merged = taken.length > 0 ? { suites: [...taken], from: prev.merged?.from ?? prev.startedAt } : null;
}

/** How each suite's error messages begin (see `attempt` in runBackend). */
const SUITE_ERROR_PREFIX: Record<Suite, string> = {
  enqueue: "enqueue",
  processing: "processing",
  latency: "latency",
  dag: "DAG",
  memory: "memory",
};

/** Runs every configured backend, evaluates the targets, writes the reports; returns the results. */
export async function runBench(
  config: BenchConfig,
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<Partial<Record<Backend, BackendResults>>> {
  const tmpDir = mkdtempSync(join(tmpdir(), "hive-bench-"));
  const ctx: BenchContext = {
    tmpDir,
    pgUrl: config.pgUrl,
    runId: `bench_${process.pid}_${Date.now().toString(36)}`,
  };
  const all: Partial<Record<Backend, BackendResults>> = {};
  try {
    if (!config.render)
      for (const backend of config.backends) all[backend] = await runBackend(ctx, backend, config, log);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  if (config.merge) for (const r of Object.values(all)) mergePrevious(r, config);
  // The other backend's report, when it is already there, gives its figures to the targets
  // (SQLite's are judged against graphile-worker's), and is rewritten with them.
  for (const backend of ["sqlite", "postgres"] as const) {
    const file = join(config.outDir, `${backend}.json`);
    if (!all[backend] && existsSync(file))
      all[backend] = JSON.parse(readFileSync(file, "utf8")) as BackendResults;
  }
  evaluateTargets(all, config);
  mkdirSync(config.outDir, { recursive: true });
  for (const r of Object.values(all)) {
    writeFileSync(join(config.outDir, `${r.backend}.md`), markdownReport(r, config));
    writeFileSync(join(config.outDir, `${r.backend}.json`), `${JSON.stringify(r, null, 2)}\n`);
  }
  return all;
}

export { textReport };
