/** What a run measures and at which sizes: the issue's sizes, or tiny ones for the CI smoke run. */
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { DAG_SHAPES } from "./dagPlans.ts";
import type { DagShape } from "./results.ts";
import type { Backend } from "./systems/types.ts";

export const SUITES = ["enqueue", "processing", "latency", "dag", "memory"] as const;
export type Suite = (typeof SUITES)[number];

/** The system ids of each backend, in report order (bench.ts builds the systems themselves). */
export const SYSTEM_IDS: Record<Backend, readonly string[]> = {
  sqlite: ["hive", "raw-batched", "raw-naive", "plainjob", "liteque"],
  postgres: ["hive", "raw-pg", "pg-server", "graphile-worker", "pg-boss"],
};

export interface BenchConfig {
  /** The command line, as printed in the reports. */
  command: string;
  smoke: boolean;
  backends: Backend[];
  suites: Suite[];
  /** Only these system ids (all when empty). */
  systems: string[];
  /** Take the suites not run from the report already in outDir. */
  merge: boolean;
  /** Measure nothing: re-evaluate the targets and rewrite the reports from the JSON in outDir. */
  render: boolean;
  outDir: string;
  pgUrl: string;
  /** Handlers at once per worker process (the issue: 8). */
  concurrency: number;
  /** `runs`: each enqueue and processing figure is the median of this many runs (the machine is shared). */
  enqueue: { oneN: number; batchN: number; batchSize: number; runs: number };
  processing: { n: number; batchSize: number; runs: number };
  latency: { samples: number; minGapMs: number; maxGapMs: number; settleMs: number };
  /** `baselineRuns`: the smallest plan of each shape (every growth figure's divisor) is the median of this many runs. */
  dag: { shapes: DagShape[]; sizes: number[]; warmupNodes: number; baselineRuns: number };
  memory: { queued: number };
}

const benchDir = resolve(import.meta.dirname, "..");
export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

const ArgsSchema = z.strictObject({
  smoke: z.boolean().default(false),
  backend: z.enum(["sqlite", "postgres", "all"]).default("all"),
  suites: z
    .array(z.enum(SUITES))
    .min(1)
    .default([...SUITES]),
  systems: z.array(z.string().min(1)).default([]),
  merge: z.boolean().default(false),
  render: z.boolean().default(false),
  /** Override the DAG plan sizes (a shorter run); the report says which sizes were used. */
  dagSizes: z
    .array(z.number().int().min(10).max(200_000))
    .min(2)
    .refine(
      (s) => s.every((n, k) => k === 0 || n > s[k - 1]!),
      "DAG sizes must be increasing: the first is every growth figure's base",
    )
    .optional(),
  /** Only these DAG shapes (all four when absent). */
  dagShapes: z.array(z.enum(DAG_SHAPES)).min(1).optional(),
  /** Override the number of tasks queued for the memory run. */
  memoryQueued: z.number().int().min(100).max(1_000_000).optional(),
  out: z.string().min(1).optional(),
  command: z.string().default("pnpm bench"),
  pgUrl: z.string().min(1).default(DEFAULT_PG_URL),
});
export type BenchArgs = z.input<typeof ArgsSchema>;

/** Sizes of a full run (the issue) and of a smoke run (seconds, for CI). */
export function sizes(
  smoke: boolean,
): Omit<
  BenchConfig,
  "command" | "smoke" | "backends" | "suites" | "systems" | "merge" | "render" | "outDir" | "pgUrl" | "dag"
> & { dag: Omit<BenchConfig["dag"], "shapes"> } {
  return smoke
    ? {
        concurrency: 8,
        enqueue: { oneN: 50, batchN: 500, batchSize: 100, runs: 1 },
        processing: { n: 200, batchSize: 100, runs: 1 },
        latency: { samples: 5, minGapMs: 20, maxGapMs: 60, settleMs: 200 },
        dag: { sizes: [20, 40, 80], warmupNodes: 20, baselineRuns: 1 },
        memory: { queued: 300 },
      }
    : {
        concurrency: 8,
        // One at a time over 10,000 calls (2,000 and one run until stop 20: ~0.1 s on SQLite,
        // mostly warm-up, and single runs moved by ±20 %).
        enqueue: { oneN: 10_000, batchN: 100_000, batchSize: 1000, runs: 3 },
        processing: { n: 20_000, batchSize: 1000, runs: 3 },
        latency: { samples: 100, minGapMs: 100, maxGapMs: 400, settleMs: 1000 },
        // The 1,000-node plans' dispatch takes 0.04-2.5 s and one run moved by up to ±40 % (a 1k
        // chain at 1,203 or 1,756 µs a node in runs minutes apart; SQLite's 1k fan-in at 38-91 µs
        // in one minute where its 100k plan gave 51-53): their median of 5, spread among the
        // larger plans (see shapeSchedule), is the base.
        dag: { sizes: [1000, 10_000, 100_000], warmupNodes: 1000, baselineRuns: 5 },
        memory: { queued: 100_000 },
      };
}

/** A command line the benchmark refuses: the message names the flag (exit 2, nothing measured). */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** The flag an option comes from (`dagSizes` → `--dag-sizes`). */
const flagOf = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The configuration for these options (already parsed from flags and environment). */
export function benchConfig(args: BenchArgs = {}): BenchConfig {
  const parsed = ArgsSchema.safeParse(args);
  if (!parsed.success)
    throw new BenchUsageError(
      parsed.error.issues
        .map((i) => {
          const [key, item] = i.path;
          const where = key === undefined ? "options" : flagOf(String(key));
          return `${where}${typeof item === "number" ? ` (value ${item + 1})` : ""}: ${i.message}`;
        })
        .join("; "),
    );
  const a = parsed.data;
  const backends: Backend[] = a.backend === "all" ? ["sqlite", "postgres"] : [a.backend];
  const known = [...new Set(backends.flatMap((b) => SYSTEM_IDS[b]))];
  const unknown = a.systems.filter((s) => !known.includes(s));
  if (unknown.length > 0)
    throw new BenchUsageError(
      `unknown system ${unknown.join(", ")} for --backend ${a.backend} (known: ${known.join(", ")})`,
    );
  const base = sizes(a.smoke);
  const outDir = a.out
    ? isAbsolute(a.out)
      ? a.out
      : resolve(a.out)
    : join(benchDir, "results", a.smoke ? "smoke" : "");
  return {
    command: a.command,
    smoke: a.smoke,
    backends,
    suites: a.suites,
    systems: a.systems,
    merge: a.merge,
    render: a.render,
    outDir,
    pgUrl: a.pgUrl,
    ...base,
    dag: { ...base.dag, shapes: a.dagShapes ?? [...DAG_SHAPES], sizes: a.dagSizes ?? base.dag.sizes },
    memory: { queued: a.memoryQueued ?? base.memory.queued },
  };
}

/** What `pnpm bench --help` prints. */
export const USAGE = `pnpm bench [options]: throughput, latency, DAG scaling and memory of Hive against a raw
baseline and its peers, on the same machine in the same run; prints the tables and writes
bench/results/<backend>.md and .json (a full run takes ~20 minutes; --smoke seconds).

  --smoke                 tiny sizes (CI); reports go to bench/results/smoke/ (or HIVE_BENCH_SMOKE=1)
  --backend <b>           sqlite, postgres or all (default all)
  --suites <a,b>          of ${SUITES.join(", ")} (default all)
  --systems <a,b>         only these systems: sqlite ${SYSTEM_IDS.sqlite.join(", ")};
                          postgres ${SYSTEM_IDS.postgres.join(", ")} (default all)
  --merge                 keep the saved report's figures for the suites and systems not run now
  --render                measure nothing: judge the targets again and rewrite the reports from the saved JSON
  --dag-sizes <n,m,…>     DAG plan sizes, increasing (default 1000,10000,100000; the first is the growth base)
  --dag-shapes <a,b>      of ${DAG_SHAPES.join(", ")} (default all)
  --memory-queued <n>     tasks queued for the memory run (default 100000)
  --out <dir>             where the reports are read and written (default bench/results)
  --help, -h              this text

PostgreSQL: HIVE_BENCH_PG_URL (default ${DEFAULT_PG_URL}); each run uses schemas of its own
and drops them, also on SIGINT/SIGTERM. Exit: 0 measured, 1 a measurement failed or a backend
could not be measured, 2 a bad command line, 130/143 interrupted.`;

/** True when the command line asks for the usage text. */
export const wantsHelp = (argv: readonly string[]) => argv.includes("--help") || argv.includes("-h");

/**
 * Flags and environment: `--smoke` (or HIVE_BENCH_SMOKE=1), `--backend sqlite|postgres|all`,
 * `--suites enqueue,processing,latency,dag,memory`, `--systems hive,plainjob,…`,
 * `--merge`, `--render`, `--dag-sizes 1000,10000`, `--dag-shapes chain,fan-in`, `--memory-queued 20000`, `--out <dir>`,
 * HIVE_BENCH_PG_URL (HIVE_BENCH_HIVE_MODULE: see hiveModule.ts).
 */
export function argsFromCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): BenchArgs {
  const args: BenchArgs = { command: ["pnpm bench", ...argv.filter((a) => a !== "--")].join(" ") };
  if (env.HIVE_BENCH_SMOKE === "1" || env.HIVE_BENCH_SMOKE === "true") args.smoke = true;
  if (env.HIVE_BENCH_PG_URL) args.pgUrl = env.HIVE_BENCH_PG_URL;
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k]!;
    const value = () => {
      const v = argv[++k];
      if (v === undefined || v.startsWith("--")) throw new BenchUsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === "--smoke") args.smoke = true;
    else if (flag === "--backend") args.backend = value() as BenchArgs["backend"];
    else if (flag === "--suites") args.suites = value().split(",") as Suite[];
    else if (flag === "--systems") args.systems = value().split(",");
    else if (flag === "--merge") args.merge = true;
    else if (flag === "--render") args.render = true;
    else if (flag === "--dag-sizes") args.dagSizes = value().split(",").map(Number);
    else if (flag === "--dag-shapes") args.dagShapes = value().split(",") as DagShape[];
    else if (flag === "--memory-queued") args.memoryQueued = Number(value());
    else if (flag === "--out") args.out = value();
    else if (flag === "--") continue;
    else
      throw new BenchUsageError(
        `unknown option ${flag} (--smoke, --backend, --suites, --systems, --merge, --render, --dag-sizes, --dag-shapes, --memory-queued, --out, --help)`,
      );
  }
  return args;
}

/** The sizes a run measured with, as saved in its results (what `--merge` and `--render` compare). */
export type RunSizes = Pick<
  BenchConfig,
  "concurrency" | "enqueue" | "processing" | "latency" | "dag" | "memory"
>;

export function runSizes(c: BenchConfig): RunSizes {
  const { concurrency, enqueue, processing, latency, dag, memory } = c;
  return { concurrency, enqueue, processing, latency, dag, memory };
}

/**
 * The configuration that describes saved results: their smoke flag and sizes (reports written
 * before sizes were saved: the smoke or full sizes), whatever the current command's flags.
 */
export function configOfResults(c: BenchConfig, saved: { smoke: boolean; sizes?: RunSizes }): BenchConfig {
  if (saved.sizes) return { ...c, smoke: saved.smoke, ...saved.sizes };
  if (saved.smoke === c.smoke) return c;
  const base = sizes(saved.smoke);
  return { ...c, smoke: saved.smoke, ...base, dag: { ...base.dag, shapes: c.dag.shapes } };
}
