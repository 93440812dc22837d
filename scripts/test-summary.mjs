#!/usr/bin/env node
// Sums the vitest JSON reports of every workspace package into one closing line.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "../..");
// Reports are written fresh by each run; stale ones are removed by the check script first.
const dirs = [
  "packages/models",
  "packages/orchestration",
  "apps/ai-planner",
  "apps/ai-deployer",
  "apps/cli",
  "apps/main-job",
  "tests",
  "bench",
];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const d of dirs) {
  const reports = join(root, d, ".reports");
  if (!existsSync(reports)) continue;
  for (const name of readdirSync(reports).filter((n) => n.endsWith(".json"))) {
    const r = JSON.parse(readFileSync(join(reports, name), "utf8"));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    console.log(`${d} (${name}): ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  }
}
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
