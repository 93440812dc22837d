import { parseArgs } from "node:util";
import type { PlanningRequest } from "@hive/models";
import { type Db, submitPlanningRequest, ValidationError } from "@hive/orchestration";

/** Enqueues a planning request; invalid input throws ValidationError naming the field. */
export function submitRequest(
  db: Db,
  input: {
    description: string;
    priority?: number;
    requestor?: string;
    context?: Record<string, unknown> | null;
  },
): Promise<PlanningRequest> {
  return submitPlanningRequest(db, {
    taskDescription: input.description,
    priority: input.priority,
    requestor: input.requestor,
    contextData: input.context as never,
  });
}

/** Parses `submit` flags; a bad --context or --priority throws ValidationError before anything is written. */
export function parseSubmitArgs(argv: string[]): Parameters<typeof submitRequest>[1] & { db?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      description: { type: "string", short: "d" },
      priority: { type: "string", short: "p" },
      requestor: { type: "string", short: "r" },
      context: { type: "string", short: "c" },
      db: { type: "string" },
    },
    strict: true,
  });
  let context: Record<string, unknown> | null = null;
  if (values.context !== undefined) {
    try {
      context = JSON.parse(values.context);
    } catch (err) {
      throw new ValidationError(`invalid --context: not JSON (${(err as Error).message})`, [
        { path: "contextData", message: "must be a JSON object" },
      ]);
    }
    if (context === null || typeof context !== "object" || Array.isArray(context))
      throw new ValidationError("invalid --context: must be a JSON object", [
        { path: "contextData", message: "must be a JSON object" },
      ]);
  }
  const priority = values.priority === undefined ? undefined : Number(values.priority);
  if (priority !== undefined && !Number.isInteger(priority))
    throw new ValidationError("invalid --priority: must be an integer", [
      { path: "priority", message: "must be an integer" },
    ]);
  return {
    description: values.description ?? "",
    priority,
    requestor: values.requestor,
    context,
    db: values.db,
  };
}
