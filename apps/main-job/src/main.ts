/**
 * The main job: on the embedded SQLite default (or --db / $HIVE_DB_PATH), starts the planner, the
 * deployer and agent workers as processes, submits a request (the sample, or --description and
 * --context), shows live progress until its plan completes, then prints a summary. Exit code 0
 * when the plan completed, 1 when it failed or timed out.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  closeDatabase,
  countTasksByStatus,
  getExecutionPlanForRequest,
  getPlanExecution,
  getPlanningRequest,
  getRuns,
  HiveError,
  listTasks,
  listWorkers,
  openDatabase,
  resolveDatabasePath,
  submitPlanningRequest,
} from "@hive/orchestration";
import { startChild, stopChildren } from "./children.ts";
import { prepareSample } from "./sample.ts";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    description: { type: "string" },
    context: { type: "string" },
    agents: { type: "string", default: "2" },
    "timeout-ms": { type: "string", default: "180000" },
    "work-dir": { type: "string", default: "hive" },
  },
});

const dbPath = resolveDatabasePath(values.db);
const workDir = resolve(values["work-dir"] ?? "hive");
const logDir = resolve(workDir, "logs");
const here = import.meta.dirname;
const apps = resolve(here, "../..");

async function main(): Promise<number> {
  let description = values.description;
  let context: Record<string, unknown> | undefined;
  if (values.context) {
    try {
      context = JSON.parse(values.context);
    } catch (err) {
      console.error(`--context is not valid JSON: ${(err as Error).message}`);
      return 2;
    }
  }
  if (!description)
    ({ description, context } = { ...prepareSample(workDir), ...(context ? { context } : {}) });

  const db = await openDatabase({ path: dbPath });
  console.log(`database: ${dbPath}`);
  const request = await submitPlanningRequest(db, {
    taskDescription: description,
    contextData: context as never,
    requestor: "main-job",
  });
  console.log(`submitted planning request ${request.id}: "${description}"`);

  const common = ["--db", dbPath];
  const children = [
    startChild("planner", resolve(apps, "ai-planner/src/main.ts"), [...common, "--poll-ms", "100"], logDir),
    startChild(
      "deployer",
      resolve(apps, "ai-deployer/src/main.ts"),
      [...common, "--root", resolve(workDir, "deployments"), "--lease-ms", "10000"],
      logDir,
    ),
    ...Array.from({ length: Number(values.agents) }, (_, i) =>
      startChild(
        `agent-${i + 1}`,
        resolve(here, "agentWorker.ts"),
        [...common, "--concurrency", "3"],
        logDir,
      ),
    ),
  ];
  console.log(`started ${children.length} processes (logs in ${logDir})`);

  const deadline = Date.now() + Number(values["timeout-ms"]);
  let planId: string | null = null;
  let outcome: "completed" | "failed" | "timeout" = "timeout";
  let last = "";
  try {
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      const req = await getPlanningRequest(db, request.id);
      if (req?.status === "failed") {
        console.log(`planning failed: ${req.errorMessage}`);
        outcome = "failed";
        break;
      }
      const plan = await getExecutionPlanForRequest(db, request.id);
      planId = plan?.id ?? null;
      const counts = await countTasksByStatus(db);
      const workers = (await listWorkers(db)).filter((w) => w.status === "active");
      const pe = planId ? await getPlanExecution(db, planId) : null;
      const line = `plan ${pe ? `${pe.progressPercent}% (${pe.completedSubtasks.length}/${pe.totalSubtasks})` : "planning…"} | tasks ${Object.entries(
        counts,
      )
        .filter(([, n]) => n > 0)
        .map(([s, n]) => `${s}=${n}`)
        .join(
          " ",
        )} | workers ${workers.map((w) => w.role).join(",")}${pe?.activeSubtasks.length ? ` | running ${pe.activeSubtasks.join(",")}` : ""}`;
      if (line !== last) console.log(line);
      last = line;
      if (plan?.status === "completed" || plan?.status === "failed") {
        outcome = plan.status;
        break;
      }
    }
  } finally {
    await stopChildren(children);
  }

  if (planId) {
    console.log(`\nplan ${planId}: ${outcome}`);
    const tasks = (await listTasks(db, { planId, limit: 100_000 })).sort((a, b) => a.createdAt - b.createdAt);
    console.log(`${"subtask".padEnd(22)} ${"type".padEnd(15)} ${"status".padEnd(16)} attempts  duration`);
    for (const t of tasks) {
      const runs = await getRuns(db, t.id);
      const lastRun = runs.at(-1);
      const ms = lastRun?.completedAt ? lastRun.completedAt - lastRun.startedAt : null;
      console.log(
        `${(t.subtaskId ?? t.id).padEnd(22)} ${t.taskType.padEnd(15)} ${t.status.padEnd(16)} ${String(t.attempts).padEnd(9)} ${ms === null ? "-" : `${ms} ms`}`,
      );
      if (t.taskType === "deployment" && t.result && typeof t.result === "object")
        console.log(`  deployed: ${JSON.stringify(t.result)}`);
    }
  } else console.log(`\nno plan (${outcome})`);
  await closeDatabase(db);
  return outcome === "completed" ? 0 : 1;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(err instanceof HiveError ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
}
