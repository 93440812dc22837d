/**
 * The main job (`npm start [-- <db path>]`): on the embedded SQLite default (or the database
 * given), submits a request (the sample, or --description with --context / --context-file),
 * starts the planner, the deployer and agent workers as processes, shows live progress until the
 * request's plan finishes, stops the processes, and prints a summary.
 * Exit code: 0 when the plan completed; 1 when it failed, timed out, a process died or the job
 * was interrupted; 2 for a bad command line or request (nothing written, nothing started).
 */
import { resolve } from "node:path";
import { closeDatabase, HiveError, openDatabase, submitPlanningRequest } from "@hive/orchestration";
import { ZodError } from "zod";
import { alive, type Child, logTail, startChild, stopChildren } from "./children.ts";
import { loadMainConfig, MAIN_USAGE, type MainConfig, prepareWorkDir } from "./config.ts";
import { readProgress } from "./progress.ts";
import { prepareRequest } from "./request.ts";
import { planSummary } from "./summary.ts";

const apps = resolve(import.meta.dirname, "../..");

function startProcesses(config: MainConfig, workDir: string): Child[] {
  const logDir = resolve(workDir, "logs");
  const db = config.databaseUrl ? ["--database-url", config.databaseUrl] : ["--db", config.dbPath];
  // The children read HIVE_DB_PATH before a URL flag: on PostgreSQL they must not see it.
  const { HIVE_DB_PATH: _, ...envWithoutPath } = process.env;
  const env = config.databaseUrl ? envWithoutPath : process.env;
  return [
    startChild("planner", resolve(apps, "ai-planner/src/main.ts"), [...db, "--poll-ms", "100"], logDir, env),
    startChild(
      "deployer",
      resolve(apps, "ai-deployer/src/main.ts"),
      [...db, "--root", resolve(workDir, "deployments"), "--lease-ms", "10000"],
      logDir,
      env,
    ),
    ...Array.from({ length: config.agents }, (_, i) =>
      startChild(
        `agent-${i + 1}`,
        resolve(import.meta.dirname, "agentWorker.ts"),
        [...db, "--concurrency", String(config.agentConcurrency), "--work-ms", String(config.workMs)],
        logDir,
        env,
      ),
    ),
  ];
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(MAIN_USAGE);
    return 0;
  }
  const config = loadMainConfig(argv, process.env);
  const workDir = prepareWorkDir(config.workDir);
  // Validated before the database is opened: a bad request writes nothing and starts nothing.
  const input = prepareRequest(config, workDir);

  const interrupted = new AbortController();
  const onSignal = (sig: string) => interrupted.abort(sig);
  // `on`, not `once`: a signal to the job's process group reaches this process twice (directly,
  // and relayed by tsx), and a second one under `once` killed it before it stopped its daemons.
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A reader that goes away (`npm start | head`) makes every later write fail with EPIPE; unhandled,
  // that error kills the job before it stops its processes, which then run on, orphaned.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      interrupted.abort("a closed output pipe");
    });

  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { path: config.dbPath });
  let children: Child[] = [];
  try {
    console.log(`database: ${db.location}`);
    const request = await submitPlanningRequest(db, input);
    console.log(`submitted planning request ${request.id}: "${request.taskDescription}"`);
    children = startProcesses(config, workDir);
    console.log(
      `started ${children.map((c) => `${c.name} (pid ${c.process.pid})`).join(", ")}; logs in ${resolve(workDir, "logs")}`,
    );

    const deadline = Date.now() + config.timeoutMs;
    let verdict = "timed out";
    let last = "";
    let planId: string | null = null;
    while (true) {
      const p = await readProgress(db, request.id);
      planId = p.plan?.id ?? null;
      if (p.line !== last) console.log(p.line);
      last = p.line;
      if (p.done) {
        verdict = p.plan ? p.plan.status : "planning failed";
        break;
      }
      // Before the dead-child check: Ctrl-C signals the whole process group, so the children
      // may have drained and exited by the time this loop wakes up; that is expected, not a crash.
      if (interrupted.signal.aborted) {
        verdict = `interrupted by ${String(interrupted.signal.reason)}`;
        break;
      }
      const dead = children.find((c) => !alive(c));
      if (dead) {
        verdict = `${dead.name} exited unexpectedly (code ${dead.process.exitCode ?? dead.process.signalCode})`;
        console.error(`${verdict}; the end of its log:\n${logTail(dead)}`);
        break;
      }
      if (Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, config.refreshMs));
    }
    console.log("stopping the processes…");
    await stopChildren(children);
    console.log("");
    if (planId) for (const line of await planSummary(db, planId)) console.log(line);
    console.log(`result: ${verdict}`);
    return verdict === "completed" ? 0 : 1;
  } finally {
    await stopChildren(children);
    await closeDatabase(db);
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof ZodError) {
    console.error(
      `invalid configuration: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    process.exitCode = 2;
  } else if (err instanceof HiveError) {
    console.error(`${err.name}: ${err.message}`);
    process.exitCode = err.name === "ValidationError" ? 2 : 1;
  } else if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
    console.error(`invalid command line: ${err.message}`);
    process.exitCode = 2;
  } else {
    console.error(err);
    process.exitCode = 1;
  }
}
