/**
 * `pnpm bench [--smoke] [--backend sqlite|postgres|all] [--suites a,b] [--out dir]`: measures,
 * prints the tables, writes bench/results/<backend>.md (and .json). Exits 1 if a measurement
 * failed or a run was not exactly-once.
 */
import { runBench, textReport } from "./bench.ts";
import { argsFromCommandLine, benchConfig } from "./config.ts";

const config = benchConfig(argsFromCommandLine(process.argv.slice(2), process.env));
const results = await runBench(config);
const all = Object.values(results);
process.stdout.write(
  `${all.map((r) => textReport(r, config)).join("\n\n")}\n\nreports in ${config.outDir}\n`,
);
const broken = all.some(
  (r) =>
    r.errors.length > 0 ||
    r.processing.some((p) => !p.exactlyOnce) ||
    r.dag.some((d) => !d.exactlyOnce) ||
    (r.memory !== null && !r.memory.exactlyOnce),
);
process.exit(broken ? 1 : 0);
