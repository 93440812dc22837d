import type { Command } from "commander";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { fields, table } from "../format/table.ts";
import { ago, type Style, stateName } from "../format/text.ts";
import { loadStatus, type StatusView } from "../views/status.ts";
import { runningCell } from "./workers.ts";

/** `hive status`: tasks per state, workers with their last heartbeat, expired leases. */
export function registerStatus(program: Command, io: Io): void {
  program
    .command("status")
    .description("tasks per state, workers with their last heartbeat, expired leases")
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const view = await withDatabase(ctx.backend, (db) => loadStatus(db));
      ctx.emit(view, () => renderStatus(view, ctx.style));
    });
}

function renderStatus(v: StatusView, style: Style): string {
  const parts = [
    fields([
      ["database", `${v.backend.kind} ${v.backend.location}`],
      ["tasks", `${v.totalTasks} total`],
      ["workers", `${v.workers.filter((w) => w.status === "active").length} active of ${v.workers.length}`],
      ["expired leases", String(v.expiredLeases.length)],
    ]),
    "",
    table(Object.entries(v.tasks), [
      { header: "state", cell: ([s]) => s, paint: (t) => stateName(t, style) },
      { header: "tasks", cell: ([, n]) => String(n) },
    ]),
  ];
  if (v.workers.length > 0)
    parts.push(
      "",
      table(v.workers, [
        { header: "worker", cell: (w) => w.id, max: 40 },
        { header: "role", cell: (w) => w.role, max: 20 },
        { header: "status", cell: (w) => w.status },
        { header: "last heartbeat", cell: (w) => ago(w.lastHeartbeat, v.now) },
        { header: "running", cell: (w) => runningCell(w.runningTasks) },
      ]),
    );
  if (v.expiredLeases.length > 0)
    parts.push(
      "",
      "expired leases (the reaper of any running worker requeues these):",
      table(v.expiredLeases, [
        { header: "task", cell: (l) => l.taskId, max: 40 },
        { header: "title", cell: (l) => l.title, max: 40 },
        { header: "worker", cell: (l) => l.workerId ?? "-", max: 30 },
        { header: "expired", cell: (l) => ago(l.leaseExpiresAt, v.now) },
        { header: "attempt", cell: (l) => String(l.attempts) },
      ]),
    );
  return parts.join("\n");
}
