#!/usr/bin/env node
// The README's two commands land here: `npm start` (main job) and `npm test` (every check and
// test). It needs only Node.js and npm: it fetches the pinned pnpm, installs the workspace from
// the lockfile (compiling better-sqlite3 against this Node's own headers), then runs the job.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { constants } from "node:os";
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

/**
 * The job itself, asynchronously and in a process group of its own: while spawnSync waited, a
 * SIGTERM sent to this process (what `kill <pid of npm start>` reaches) killed it alone, pnpm
 * did not pass it on, and the job and every process it started ran on to the end, orphaned. A
 * signal to this process now goes to the job's whole group, as Ctrl-C in a terminal goes to
 * the terminal's, and this process exits as the job does.
 */
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function runJob(args) {
  return new Promise((done, fail) => {
    const child = spawn(pnpm[0], [...pnpm.slice(1), ...args], {
      cwd: root,
      env,
      stdio: "inherit",
      detached: true,
    });
    const signals = ["SIGTERM", "SIGHUP", "SIGINT"];
    const pass = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group has already gone
      }
    };
    for (const sig of signals) process.on(sig, pass);
    child.on("error", fail);
    child.on("exit", async (code, signal) => {
      for (const sig of signals) process.off(sig, pass);
      // pnpm dies of the signal at once, while the job stops its processes: wait for the group
      // to be empty (up to a minute), so the prompt comes back when everything has stopped.
      for (let i = 0; i < 600 && groupAlive(child.pid); i++) await new Promise((r) => setTimeout(r, 100));
      done(code ?? 128 + (constants.signals[signal] ?? 0));
    });
  });
}

if (!existsSync(join(root, "node_modules/.modules.yaml")) || env.CI || job === "check") {
  const code = p("install", "--frozen-lockfile", "--prefer-offline");
  if (code !== 0) process.exit(code);
}
const scripts = { main: ["run", "main", ...rest], check: ["run", "check"] };
if (!scripts[job]) {
  console.error(`unknown job "${job}" (main | check)`);
  process.exit(2);
}
// The check runs as it always has (in this process group: a terminal's Ctrl-C reaches it).
process.exit(job === "main" ? await runJob(scripts[job]) : p(...scripts[job]));
