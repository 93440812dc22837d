import { spawn } from "node:child_process";
import { PermanentError, type TaskContext, type TaskHandler } from "@hive/orchestration";
import type { AgentConfig } from "./config.ts";

/** Thrown by the simulated agent of a task configured to fail (retried like any failure). */
export class SimulatedFailureError extends Error {
  override name = "SimulatedFailureError";
}

/** Waits `ms`, or less when `signal` aborts (a lost lease or a stop must not wait for the step). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * A simulated agent: works for `workMs` in a few steps (logging each, stopping when its signal
 * aborts) and returns a summary with the subtask's deliverables. Tasks named in `failTypes` or
 * `failSubtasks` always fail, as a broken agent would.
 */
export function simulatedAgent(config: Pick<AgentConfig, "workMs" | "failTypes" | "failSubtasks">) {
  return async (ctx: TaskContext) => {
    const { task } = ctx;
    if (config.failTypes.includes(task.taskType) || config.failSubtasks.includes(task.subtaskId ?? ""))
      throw new SimulatedFailureError(`simulated failure of the ${task.subtaskId ?? task.taskType} agent`);
    ctx.log(`agent picked up "${task.title}" (attempt ${ctx.attempt})`);
    const steps = 3;
    for (let i = 1; i <= steps; i++) {
      await pause(config.workMs / steps, ctx.signal);
      if (ctx.signal.aborted) throw new Error("aborted");
      ctx.log(`step ${i}/${steps} of ${task.currentPhase}`);
    }
    const subtask = task.payload?.subtask as { deliverables?: string[] } | undefined;
    return { summary: `${task.title}: done`, deliverables: subtask?.deliverables ?? [] };
  };
}

/** Runs `payload.command` (argv, no shell); a non-zero exit fails the attempt. */
export async function shellTask(ctx: TaskContext): Promise<{ exitCode: number }> {
  const argv = ctx.task.payload?.command;
  if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === "string"))
    throw new PermanentError("shell task needs payload.command: a non-empty list of strings");
  return new Promise((resolve, reject) => {
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

/** Task types the agent worker takes: every one but deployment, which the deployer owns. */
export const AGENT_TASK_TYPES = [
  "analysis",
  "design",
  "implementation",
  "testing",
  "review",
  "generic",
  "shell",
];

/** One handler per task type: `shell` runs a command, the others a simulated agent. */
export function agentHandlers(config: AgentConfig): Record<string, TaskHandler> {
  const agent = simulatedAgent(config);
  return Object.fromEntries(AGENT_TASK_TYPES.map((t) => [t, t === "shell" ? shellTask : agent]));
}
