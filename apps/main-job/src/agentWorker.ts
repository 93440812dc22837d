/**
 * An agent worker process for the subtasks that are neither planning nor deployment: a Worker
 * runtime with one handler per task type. `shell` tasks run `payload.command` (argv, no shell);
 * every other type runs a simulated agent that works for a short while and writes a transcript.
 * Flags: --db, --concurrency, --worker-id, --fail-types a,b (simulate a broken agent for tests).
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { closeDatabase, openDatabase, PermanentError, type TaskContext, Worker } from "@hive/orchestration";

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    concurrency: { type: "string", default: "4" },
    "worker-id": { type: "string" },
    "lease-ms": { type: "string", default: "10000" },
    "work-ms": { type: "string", default: "150" },
    "fail-types": { type: "string", default: "" },
    "log-level": { type: "string", default: "info" },
  },
});

const workMs = Number(values["work-ms"]);
const failTypes = new Set((values["fail-types"] ?? "").split(",").filter(Boolean));

async function simulatedAgent(ctx: TaskContext) {
  if (failTypes.has(ctx.task.taskType)) throw new Error(`simulated failure of a ${ctx.task.taskType} agent`);
  ctx.log(`agent picked up "${ctx.task.title}" (attempt ${ctx.attempt})`);
  const steps = 3;
  for (let i = 1; i <= steps; i++) {
    await new Promise((r) => setTimeout(r, workMs / steps));
    if (ctx.signal.aborted) throw new Error("aborted");
    ctx.log(`step ${i}/${steps} of ${ctx.task.currentPhase}`);
  }
  return {
    summary: `${ctx.task.title}: done`,
    deliverables: (ctx.task.payload?.subtask as { deliverables?: string[] })?.deliverables ?? [],
  };
}

async function shellTask(ctx: TaskContext) {
  const argv = ctx.task.payload?.command;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string"))
    throw new PermanentError("shell task needs payload.command: a non-empty list of strings");
  return new Promise<{ exitCode: number }>((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1) as string[], {
      signal: ctx.signal,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (d) => ctx.log(String(d).trimEnd()));
    child.stderr.on("data", (d) => ctx.log(String(d).trimEnd()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve({ exitCode: 0 }) : reject(new Error(`exit code ${code}`)),
    );
  });
}

const db = await openDatabase({ path: values.db });
const worker = new Worker({
  db,
  workerId: values["worker-id"],
  role: "agent",
  capabilities: ["analysis", "design", "coding", "testing", "review", "shell"],
  // Every type but deployment, which the deployer daemon owns.
  taskTypes: ["analysis", "design", "implementation", "testing", "review", "generic", "shell"],
  handler: (ctx) => (ctx.task.taskType === "shell" ? shellTask(ctx) : simulatedAgent(ctx)),
  concurrency: Number(values.concurrency),
  leaseMs: Number(values["lease-ms"]),
  backoff: { baseDelayMs: 200, maxDelayMs: 2000 },
});
const stop = async () => {
  await worker.stop({ timeoutMs: 10_000 });
  await closeDatabase(db);
  process.exit(0);
};
process.once("SIGTERM", () => void stop());
process.once("SIGINT", () => void stop());
await worker.start();
