// A health check (or deployment command) for the tests, steered by files in a control directory
// given as argv[2]: it appends its pid to <control>/pids, waits while <control>/hold exists (two
// minutes at most), then exits 1 if <control>/fail exists, else 0.
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";

const control = process.argv[2];
appendFileSync(join(control, "pids"), `${process.pid}\n`);
const deadline = Date.now() + 120_000;
while (existsSync(join(control, "hold")) && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 50));
process.exit(existsSync(join(control, "fail")) ? 1 : 0);
