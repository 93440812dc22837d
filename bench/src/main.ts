/**
 * `pnpm bench [--smoke] [--backend sqlite|postgres|all] [--suites a,b] [--out dir]`: measures,
 * prints the tables, writes bench/results/<backend>.md (and .json). Exits 1 if a measurement
 * failed, a run was not exactly-once or a requested backend could not be measured (its report is
 * then left as it was); 2 on a bad command line (nothing measured or written); 130/143 on
 * SIGINT/SIGTERM.
 */
import { runBench, textReport } from "./bench.ts";
import { argsFromCommandLine, benchConfig, configOfResults, USAGE, wantsHelp } from "./config.ts";

if (wantsHelp(process.argv.slice(2))) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

let config: ReturnType<typeof benchConfig>;
let results: Awaited<ReturnType<typeof runBench>>;
try {
  config = benchConfig(argsFromCommandLine(process.argv.slice(2), process.env));
  results = await runBench(config);
} catch (err) {
  process.stderr.write(`pnpm bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
}
const all = Object.values(results);
process.stdout.write(
  `${all.map((r) => textReport(r, configOfResults(config, r))).join("\n\n")}\n\nreports in ${config.outDir}\n`,
);
const skipped = all.filter((r) => r.skipped !== null);
for (const r of skipped)
  process.stderr.write(
    `pnpm bench: ${r.backend} was not measured: ${r.skipped}; its report in ${config.outDir} was left as it was\n`,
  );
const broken = all.some(
  (r) =>
    r.errors.length > 0 ||
    r.processing.some((p) => !p.exactlyOnce) ||
    r.dag.some((d) => !d.exactlyOnce) ||
    (r.memory !== null && !r.memory.exactlyOnce),
);
process.exit(broken || skipped.length > 0 ? 1 : 0);
