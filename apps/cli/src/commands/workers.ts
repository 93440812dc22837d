import { WorkerStatusSchema } from "@hive/models";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { table } from "../format/table.ts";
import { ago } from "../format/text.ts";
import { loadWorkers } from "../views/workers.ts";

const ListOptionsSchema = z.strictObject({ status: WorkerStatusSchema.optional() });

/** The tasks a worker runs, for a table cell: the first id, and how many more. */
export const runningCell = (ids: readonly string[]): string =>
  ids.length === 0 ? "-" : ids.length === 1 ? ids[0]! : `${ids[0]} (+${ids.length - 1})`;

/** `hive workers list`. */
export function registerWorkers(program: Command, io: Io): void {
  const workers = program.command("workers").description("registered workers");
  workers
    .command("list")
    .description("workers, most recent heartbeat first")
    .option("-s, --status <status>", `one of ${WorkerStatusSchema.options.join(", ")}`)
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ListOptionsSchema.parse(raw);
      const rows = await withDatabase(ctx.backend, (db) => loadWorkers(db, o.status));
      const now = Date.now();
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no workers"
          : table(rows, [
              { header: "worker", cell: (w) => w.id, max: 40 },
              { header: "role", cell: (w) => w.role, max: 20 },
              { header: "status", cell: (w) => w.status },
              { header: "capabilities", cell: (w) => w.capabilities.join(",") || "-", max: 30 },
              { header: "running", cell: (w) => runningCell(w.runningTasks) },
              { header: "last heartbeat", cell: (w) => ago(w.lastHeartbeat, now) },
              { header: "registered", cell: (w) => ago(w.registeredAt, now) },
            ]),
      );
    });
}
