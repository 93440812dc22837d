import { integerText, TaskStatusSchema } from "@hive/models";
import { cancelTask, listTasks, requeueTask, TaskNotFoundError } from "@hive/orchestration";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { fields, table } from "../format/table.ts";
import { ago, cleanLines, duration, type Style, stateLabel, stateName, when } from "../format/text.ts";
import { loadTaskView, type TaskView } from "../views/tasks.ts";

const ListOptionsSchema = z.strictObject({
  status: TaskStatusSchema.optional(),
  type: z.string().min(1).optional(),
  plan: z.string().min(1).optional(),
  limit: integerText({ min: 1, max: 100_000 }).default(50),
  offset: integerText({ min: 0 }).default(0),
});

const ShowOptionsSchema = z.strictObject({
  logLines: integerText({ min: 0 }).default(20),
});

const RetryOptionsSchema = z.strictObject({
  keepAttempts: z.boolean().default(false),
  delayMs: integerText({ min: 0 }).default(0),
});

const CancelOptionsSchema = z.strictObject({
  reason: z.string().min(1).max(10_000).default("cancelled by an operator (hive tasks cancel)"),
});

/** `hive tasks list|show|retry|cancel`. */
export function registerTasks(program: Command, io: Io): void {
  const tasks = program.command("tasks").description("list, inspect, retry and cancel tasks");

  tasks
    .command("list")
    .description("tasks, newest first, filtered by state, type or plan")
    .option("-s, --status <state>", `one of ${TaskStatusSchema.options.join(", ")}`)
    .option("-t, --type <taskType>", "only tasks of this type")
    .option("-p, --plan <planId>", "only the tasks of this plan")
    .option("-n, --limit <n>", "at most this many", "50")
    .option("--offset <n>", "skip this many first", "0")
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ListOptionsSchema.parse(raw);
      const rows = await withDatabase(ctx.backend, (db) =>
        listTasks(db, {
          status: o.status,
          taskType: o.type,
          planId: o.plan,
          limit: o.limit,
          offset: o.offset,
        }),
      );
      const now = Date.now();
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no tasks"
          : table(rows, [
              { header: "id", cell: (t) => t.id },
              { header: "state", cell: (t) => t.status, paint: (t) => stateName(t, ctx.style) },
              { header: "type", cell: (t) => t.taskType, max: 20 },
              { header: "title", cell: (t) => t.title, max: 50 },
              { header: "attempts", cell: (t) => String(t.attempts) },
              { header: "worker", cell: (t) => t.assignedWorker ?? "-", max: 24 },
              { header: "updated", cell: (t) => ago(t.updatedAt, now) },
            ]),
      );
    });

  tasks
    .command("show")
    .description("one task: its fields, dependencies, runs and output logs")
    .argument("<taskId>")
    .option("--log-lines <n>", "last lines of each run's output log to print (0: all)", "20")
    .action(async (taskId: string, raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ShowOptionsSchema.parse(raw);
      const view = await withDatabase(ctx.backend, (db) => loadTaskView(db, taskId));
      if (!view) throw new TaskNotFoundError(taskId);
      ctx.emit(view, () => renderTask(view, ctx.style, o.logLines));
    });

  tasks
    .command("retry")
    .description("put a failed, cancelled, upstream_failed or completed task back in the queue")
    .argument("<taskId>")
    .option("--keep-attempts", "keep the attempt count (default: reset, full retries again)")
    .option("--delay-ms <ms>", "not claimable before this delay", "0")
    .action(async (taskId: string, raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = RetryOptionsSchema.parse(raw);
      const task = await withDatabase(ctx.backend, (db) =>
        requeueTask(db, taskId, { resetAttempts: !o.keepAttempts, delayMs: o.delayMs }),
      );
      ctx.emit(task, () => `task ${task.id} requeued: ${stateLabel(task.status, ctx.style)}`);
    });

  tasks
    .command("cancel")
    .description("cancel a blocked, queued or running task (its dependents follow the plan's policy)")
    .argument("<taskId>")
    .option("-r, --reason <text>", "why (kept as the task's last error)")
    .action(async (taskId: string, raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = CancelOptionsSchema.parse(raw);
      const task = await withDatabase(ctx.backend, (db) => cancelTask(db, taskId, o.reason));
      ctx.emit(task, () => `task ${task.id} ${stateLabel(task.status, ctx.style)}`);
    });
}

function renderTask(v: TaskView, style: Style, logLines: number): string {
  const t = v.task;
  const now = Date.now();
  const parts = [
    fields([
      ["id", t.id],
      ["title", t.title],
      ["state", stateLabel(t.status, style), "safe"],
      ["type", t.taskType],
      ["plan", t.planId ? `${t.planId} (subtask ${t.subtaskId})` : "-"],
      ["priority", String(t.priority)],
      ["attempts", `${t.attempts} (max retries ${t.maxRetries})`],
      ["worker", t.assignedWorker ?? "-"],
      ["lease expires", when(t.leaseExpiresAt, now)],
      ["run at", when(t.runAt, now)],
      ["created", when(t.createdAt, now)],
      ["updated", when(t.updatedAt, now)],
      ["completed", when(t.completedAt, now)],
      ["last error", t.lastError ?? "-"],
      ["result", t.result === null ? "-" : JSON.stringify(t.result)],
    ]),
  ];
  if (v.dependencies.length > 0)
    parts.push(
      "",
      "depends on:",
      table(v.dependencies, [
        { header: "task", cell: (d) => d.id },
        { header: "state", cell: (d) => d.status ?? "missing", paint: (s) => stateName(s, style) },
        { header: "title", cell: (d) => d.title ?? "-", max: 50 },
      ]),
    );
  if (v.runs.length === 0) parts.push("", "no runs yet");
  else {
    parts.push(
      "",
      table(v.runs, [
        { header: "run", cell: (r) => String(r.runNumber) },
        { header: "status", cell: (r) => r.status },
        { header: "worker", cell: (r) => r.workerId ?? "-", max: 24 },
        { header: "started", cell: (r) => ago(r.startedAt, now) },
        {
          header: "took",
          cell: (r) => (r.completedAt === null ? "-" : duration(r.completedAt - r.startedAt)),
        },
        { header: "error", cell: (r) => r.errorMessage ?? "-", max: 60 },
      ]),
    );
    for (const r of v.runs) {
      if (!r.outputLog) continue;
      const lines = r.outputLog.replace(/\n$/, "").split("\n");
      const shown = logLines === 0 ? lines : lines.slice(-logLines);
      const what =
        shown.length < lines.length
          ? `last ${shown.length} of ${lines.length} lines`
          : `${lines.length} lines`;
      parts.push("", `--- run ${r.runNumber} output (${what}) ---`, cleanLines(shown.join("\n")));
    }
  }
  return parts.join("\n");
}
