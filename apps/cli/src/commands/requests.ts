import { submitPlanningRequest } from "@hive/orchestration";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { UsageError } from "../exitCodes.ts";
import { integerText } from "../integerText.ts";

const SubmitOptionsSchema = z.strictObject({
  description: z.string(),
  priority: integerText().optional(),
  requestor: z.string().optional(),
  context: z.string().optional(),
  id: z.string().optional(),
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

/** `hive requests submit`: enqueue a planning request for the planner. */
export function registerRequests(program: Command, io: Io): void {
  const requests = program.command("requests").description("planning requests");
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
