import { WorkerStatusSchema } from "@hive/models";
import { listWorkers } from "@hive/orchestration";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { table } from "../format/table.ts";
import { ago } from "../format/text.ts";

const ListOptionsSchema = z.strictObject({ status: WorkerStatusSchema.optional() });

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
      const rows = await withDatabase(ctx.backend, (db) => listWorkers(db, o.status));
      const now = Date.now();
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no workers"
          : table(rows, [
              { header: "worker", cell: (w) => w.id, max: 40 },
              { header: "role", cell: (w) => w.role, max: 20 },
              { header: "status", cell: (w) => w.status },
              { header: "capabilities", cell: (w) => w.capabilities.join(",") || "-", max: 30 },
              { header: "current task", cell: (w) => w.currentTaskId ?? "-", max: 40 },
              { header: "last heartbeat", cell: (w) => ago(w.lastHeartbeat, now) },
              { header: "registered", cell: (w) => ago(w.registeredAt, now) },
            ]),
      );
    });
}
