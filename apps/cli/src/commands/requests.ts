import { integerText, PlanningStatusSchema } from "@hive/models";
import { listPlanningRequests, submitPlanningRequest } from "@hive/orchestration";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { UsageError } from "../exitCodes.ts";
import { table } from "../format/table.ts";
import { ago } from "../format/text.ts";

const SubmitOptionsSchema = z.strictObject({
  description: z.string(),
  priority: integerText().optional(),
  requestor: z.string().optional(),
  context: z.string().optional(),
  id: z.string().optional(),
});

const ListOptionsSchema = z.strictObject({
  status: PlanningStatusSchema.optional(),
  limit: integerText({ min: 1, max: 10_000 }).default(50),
});

/** Parses --context: a JSON object, else a UsageError (exit 2) before anything is written. */
function parseContext(text: string | undefined): Record<string, never> | null {
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--context is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new UsageError("--context must be a JSON object");
  return value as Record<string, never>;
}

/**
 * `hive requests list|submit`. list: a request whose planning failed has no plan, so `plans list`
 * cannot show it; here it is, with the planner's error.
 */
export function registerRequests(program: Command, io: Io): void {
  const requests = program.command("requests").description("planning requests");
  requests
    .command("list")
    .description("planning requests, newest first, with their state and the planner's error")
    .option("-s, --status <status>", `one of ${PlanningStatusSchema.options.join(", ")}`)
    .option("-n, --limit <n>", "at most this many", "50")
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ListOptionsSchema.parse(raw);
      const rows = await withDatabase(ctx.backend, (db) => listPlanningRequests(db, o));
      const now = Date.now();
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no planning requests"
          : table(rows, [
              { header: "request", cell: (r) => r.id, max: 40 },
              { header: "status", cell: (r) => r.status },
              { header: "priority", cell: (r) => String(r.priority) },
              { header: "attempts", cell: (r) => String(r.attempts) },
              { header: "planner", cell: (r) => r.assignedAgent ?? "-", max: 30 },
              { header: "created", cell: (r) => ago(r.createdAt, now) },
              { header: "description", cell: (r) => r.taskDescription, max: 40 },
              { header: "error", cell: (r) => r.errorMessage ?? "-", max: 60 },
            ]),
      );
    });
  requests
    .command("submit")
    .description("enqueue a planning request (the planner turns it into a plan)")
    .requiredOption("-d, --description <text>", "what should be done")
    .option("-p, --priority <n>", "higher is planned first (default 1)")
    .option("-r, --requestor <name>", "who asks")
    .option("-c, --context <json>", "a JSON object handed to the planner")
    .option("--id <id>", "explicit request id")
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = SubmitOptionsSchema.parse(raw);
      const contextData = parseContext(o.context);
      const request = await withDatabase(ctx.backend, (db) =>
        submitPlanningRequest(db, {
          taskDescription: o.description,
          priority: o.priority,
          requestor: o.requestor,
          contextData,
          id: o.id,
        }),
      );
      ctx.emit(request, () => `request ${request.id} submitted (${request.status})`);
    });
}
