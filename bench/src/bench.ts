/**
 * Runs the benchmark: for each backend, Hive and its baselines and peers on the same workloads,
 * then the issue's targets; writes `<backend>.md` and `<backend>.json` into the output folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BenchConfig, configOfResults, runSizes, SUITES, type Suite } from "./config.ts";
import { loadAverage, machineFacts, postgresFacts } from "./environment.ts";
import { fmtFixed, fmtRate } from "./format.ts";
import { hiveModuleSource } from "./hiveModule.ts";
import { markdownReport, textReport } from "./report.ts";
import type { BackendResults, EnqueueRow, ProcessingRow, SystemInfo } from "./results.ts";
import { measureDags } from "./suites/dag.ts";
import { measureEnqueue, medianEnqueue } from "./suites/enqueue.ts";
import { measureLatency } from "./suites/latency.ts";
import { measureMemory } from "./suites/memory.ts";
import { measureProcessing, medianRun } from "./suites/processing.ts";
import { hiveSystem } from "./systems/hive.ts";
import { graphileSystem, pgBossSystem } from "./systems/pgPeers.ts";
import { pgServerSystem, rawPgSystem, rawSqliteSystem } from "./systems/raw.ts";
import { litequeSystem, plainjobSystem } from "./systems/sqlitePeers.ts";
import { dropRunSchemas } from "./systems/stores.ts";
import type { Backend, BenchContext, System } from "./systems/types.ts";
import { evaluateTargets } from "./targets.ts";
import { killWorkerProcesses, WorkerProcess } from "./workerProcess.ts";
import { POLL_MS as LITEQUE_POLL_MS } from "./workers/liteque.ts";
import { PGBOSS_POLL_S } from "./workers/pgboss.ts";
import { POLL_MS as PLAINJOB_POLL_MS } from "./workers/plainjob.ts";

export type Log = (line: string) => void;

export function systemsOf(backend: Backend, concurrency: number): System[] {
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
        pgServerSystem(),
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
    sizes: runSizes(config),
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
    if (ctx.interrupted) return null;
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
    for (const s of systems.filter((x) => !x.enqueueOnly)) {
      if (ctx.interrupted) break;
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

/** Thrown when `--merge` would mix figures measured at different sizes. */
export class MergeMismatchError extends Error {
  override name = "MergeMismatchError";
}

/** The report already in the output folder, checked to be mergeable with this run; null when there is none. */
export function previousResults(backend: Backend, config: BenchConfig): BackendResults | null {
  const file = join(config.outDir, `${backend}.json`);
  if (!existsSync(file)) return null;
  const prev = JSON.parse(readFileSync(file, "utf8")) as BackendResults;
  const kind = (smoke: boolean) => (smoke ? "a --smoke run" : "a full run");
  if (prev.smoke !== config.smoke)
    throw new MergeMismatchError(
      `--merge: ${file} is ${kind(prev.smoke)} and this is ${kind(config.smoke)}; run with${prev.smoke ? "" : "out"} --smoke, or use another --out`,
    );
  if (prev.sizes) {
    const now = runSizes(config);
    const keys = ["concurrency", ...SUITES.filter((s) => !config.suites.includes(s))] as const;
    const differ = keys.filter((k) => JSON.stringify(prev.sizes![k]) !== JSON.stringify(now[k]));
    if (differ.length > 0)
      throw new MergeMismatchError(
        `--merge: ${file} was measured with other sizes (${differ.join(", ")}: ${differ.map((k) => JSON.stringify(prev.sizes![k])).join("; ")}); run with the same sizes, or use another --out`,
      );
  }
  return prev;
}

/**
 * `--merge`: the suites not run now are taken from the report already in the output folder, so
 * one suite can be re-run (after a fix, or when it failed) without re-running the others. With
 * `--systems`, the other systems keep their versions, settings and rows from that report.
 */
export function mergePrevious(r: BackendResults, config: BenchConfig): void {
  if (r.skipped) return;
  const prev = previousResults(r.backend, config);
  if (!prev) return;
  const taken = SUITES.filter((s) => !config.suites.includes(s));
  // Only with --systems are some systems not run again (without it, every system is).
  const rerun = new Set(r.systems.map((s) => s.id));
  const keptSystems =
    config.systems.length === 0 ? [] : prev.systems.filter((s) => !rerun.has(s.id)).map((s) => s.id);
  const kept = (row: { system: string }) => keptSystems.includes(row.system);
  // Report order: the earlier report's, a re-run system in its place.
  const systems: SystemInfo[] = [
    ...prev.systems.map((s) => r.systems.find((x) => x.id === s.id) ?? s),
    ...r.systems.filter((s) => !prev.systems.some((x) => x.id === s.id)),
  ];
  const order = <T extends { system: string }>(rows: T[]): T[] =>
    rows.sort(
      (a, b) => systems.findIndex((s) => s.id === a.system) - systems.findIndex((s) => s.id === b.system),
    );
  if (keptSystems.length > 0) r.systems = systems;
  r.enqueue = taken.includes("enqueue") ? prev.enqueue : order([...prev.enqueue.filter(kept), ...r.enqueue]);
  r.processing = taken.includes("processing")
    ? prev.processing
    : order([...prev.processing.filter(kept), ...r.processing]);
  r.latency = taken.includes("latency") ? prev.latency : order([...prev.latency.filter(kept), ...r.latency]);
  if (taken.includes("dag")) r.dag = prev.dag;
  if (taken.includes("memory")) r.memory = prev.memory;
  r.errors = [
    ...prev.errors.filter(
      (e) =>
        taken.some((s) => e.startsWith(SUITE_ERROR_PREFIX[s])) ||
        config.suites.some((s) => keptSystems.some((id) => e.startsWith(`${SUITE_ERROR_PREFIX[s]} ${id} `))),
    ),
    ...r.errors,
  ];
  const partial =
    keptSystems.length > 0 && [prev.enqueue, prev.processing, prev.latency].some((rows) => rows.some(kept));
  // Every suite and system run now: nothing of the earlier report is kept, so nothing is said to be.
  const from = prev.merged?.from ?? prev.startedAt;
  r.merged =
    taken.length > 0 || partial
      ? { suites: [...taken], from, ...(partial ? { systems: keptSystems } : {}) }
      : null;
}

/** How each suite's error messages begin (see `attempt` in runBackend). */
const SUITE_ERROR_PREFIX: Record<Suite, string> = {
  enqueue: "enqueue",
  processing: "processing",
  latency: "latency",
  dag: "DAG",
  memory: "memory",
};

/** Thrown by `--render` when the output folder holds no report of the requested backends. */
export class NothingToRenderError extends Error {
  override name = "NothingToRenderError";
}

/**
 * On SIGINT/SIGTERM: mark the run interrupted (no new store opens, no further suite starts), kill
 * the workers (the measurement under way fails at once and its store closes and drops itself),
 * wait for the run to unwind (`settled`, called by runBench), then drop whatever schema of this
 * run is still there, remove its temp dir, and exit 130/143. The last drop runs only once nothing
 * of this process can create a schema any more: a CREATE sent just before exit commits after it.
 * `remove` takes the handlers off; `pending` is the cleanup under way (it never resolves: it exits).
 */
function cleanupOnSignal(
  ctx: BenchContext,
  log: Log,
): { remove: () => void; settled: () => void; pending: () => Promise<never> | null } {
  let cleanup: Promise<never> | null = null;
  let settle = () => {};
  const unwound = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches pnpm, tsx and this process alike, and they pass it on: a second signal
    // must not kill the process halfway through its cleanup.
    if (cleanup) return log(`${signal}: the cleanup is under way`);
    ctx.interrupted = true;
    log(`${signal}: cleaning up this run (worker processes, schemas ${ctx.runId}_*, ${ctx.tmpDir}) …`);
    cleanup = (async () => {
      try {
        await killWorkerProcesses();
        // A step that does not wait on a worker (a plan being built) is given a while to end.
        await Promise.race([unwound, new Promise((r) => setTimeout(r, UNWIND_WAIT_MS))]);
        if (ctx.pgUrl)
          for (let round = 0; round < 10 && (await dropRunSchemas(ctx.pgUrl, ctx.runId)) > 0; round++)
            await new Promise((r) => setTimeout(r, 200));
      } catch (err) {
        log(`cleanup: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        rmSync(ctx.tmpDir, { recursive: true, force: true });
      }
      return process.exit(signal === "SIGINT" ? 130 : 143);
    })();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    remove: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
    settled: () => settle(),
    pending: () => cleanup,
  };
}

/** How long an interrupted run waits for its current step to end before dropping its schemas. */
const UNWIND_WAIT_MS = 60_000;

/**
 * Runs every configured backend, evaluates the targets, writes the reports; returns the results.
 * A requested backend that could not be measured (`skipped`) is returned but its report files
 * are left as they were.
 */
export async function runBench(
  config: BenchConfig,
  log: Log = (l) => process.stderr.write(`${l}\n`),
): Promise<Partial<Record<Backend, BackendResults>>> {
  const saved = (backend: Backend) => join(config.outDir, `${backend}.json`);
  if (config.render && !config.backends.some((b) => existsSync(saved(b))))
    throw new NothingToRenderError(
      `--render: no report to render in ${config.outDir} (no ${config.backends.map((b) => `${b}.json`).join(" or ")}); give --out the folder of an earlier run`,
    );
  // Refuse a mismatched merge before measuring anything, not after.
  if (config.merge && !config.render) for (const b of config.backends) previousResults(b, config);
  const tmpDir = mkdtempSync(join(tmpdir(), "hive-bench-"));
  const ctx: BenchContext = {
    tmpDir,
    pgUrl: config.pgUrl,
    runId: `bench_${process.pid}_${Date.now().toString(36)}`,
  };
  const measured: Partial<Record<Backend, BackendResults>> = {};
  const signals = cleanupOnSignal(ctx, log);
  try {
    if (!config.render)
      for (const backend of config.backends) {
        measured[backend] = await runBackend(ctx, backend, config, log);
        // Interrupted: no further backend, no report written; the cleanup exits the process.
        if (ctx.interrupted) break;
      }
  } finally {
    if (ctx.interrupted) {
      signals.settled();
      await signals.pending();
    }
    signals.remove();
    rmSync(tmpDir, { recursive: true, force: true });
  }
  if (config.merge) for (const r of Object.values(measured)) mergePrevious(r, config);
  // The other backend's report, when it is already there, gives its figures to the targets
  // (SQLite's are judged against graphile-worker's), and is rewritten with them; a skipped
  // backend's earlier report gives its figures too, but is not rewritten.
  const all: Partial<Record<Backend, BackendResults>> = {};
  const rewrite: BackendResults[] = [];
  for (const backend of ["sqlite", "postgres"] as const) {
    const r = measured[backend];
    if (r && !r.skipped) {
      all[backend] = r;
      rewrite.push(r);
    } else if (existsSync(saved(backend))) {
      all[backend] = JSON.parse(readFileSync(saved(backend), "utf8")) as BackendResults;
      if (!r) rewrite.push(all[backend]!);
    }
  }
  evaluateTargets(all, config);
  mkdirSync(config.outDir, { recursive: true });
  for (const r of rewrite) {
    writeFileSync(join(config.outDir, `${r.backend}.md`), markdownReport(r, configOfResults(config, r)));
    writeFileSync(join(config.outDir, `${r.backend}.json`), `${JSON.stringify(r, null, 2)}\n`);
  }
  return {
    ...all,
    ...Object.fromEntries(
      Object.values(measured)
        .filter((r) => r.skipped)
        .map((r) => [r.backend, r]),
    ),
  };
}

export { textReport };
