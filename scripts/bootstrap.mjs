#!/usr/bin/env node
// The README's two commands land here: `npm start` (main job) and `npm test` (every check and
// test). It needs only Node.js and npm: it fetches the pinned pnpm, installs the workspace from
// the lockfile (compiling better-sqlite3 against this Node's own headers), then runs the job.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = pkg.packageManager.split("@")[1];
const [, , job = "check", ...rest] = process.argv;

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", COREPACK_ENABLE_STRICT: "0" };
// node-gyp must build against the local Node headers (no download on a closed network).
const nodeDir = resolve(dirname(process.execPath), "..");
if (!env.npm_config_nodedir && existsSync(join(nodeDir, "include/node/node.h")))
  env.npm_config_nodedir = nodeDir;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: "inherit" });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function hasPnpm() {
  const r = spawnSync("pnpm", ["--version"], { env, encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === pnpmVersion;
}
const pnpm = hasPnpm() ? ["pnpm"] : ["npx", "--yes", `pnpm@${pnpmVersion}`];
const p = (...args) => run(pnpm[0], [...pnpm.slice(1), ...args]);

if (!existsSync(join(root, "node_modules/.modules.yaml")) || env.CI || job === "check") {
  const code = p("install", "--frozen-lockfile", "--prefer-offline");
  if (code !== 0) process.exit(code);
}
const scripts = { main: ["run", "main", ...rest], check: ["run", "check"] };
if (!scripts[job]) {
  console.error(`unknown job "${job}" (main | check)`);
  process.exit(2);
}
process.exit(p(...scripts[job]));
