import { parseArgs } from "node:util";
import {
  type PlanningRequest,
  type SubmitPlanningRequestInput,
  SubmitPlanningRequestInputSchema,
} from "@hive/models";
import { type Db, submitPlanningRequest, ValidationError } from "@hive/orchestration";
import { ConfigUsageError } from "./config.ts";

/** What a caller submits: the request's description, and optionally priority, requestor and context. */
export interface SubmitInput {
  description: string;
  /** Higher is planned first (default 1). */
  priority?: number;
  requestor?: string | null;
  /** Free JSON object: components, target_environment, complexity, skip_tests, deploy, deployment… */
  context?: Record<string, unknown> | null;
}

/** How the caller named each schema field: SubmitInput's names, or the CLI's flags. */
const FIELDS = {
  taskDescription: "description",
  priority: "priority",
  requestor: "requestor",
  contextData: "context",
};
const FLAGS = {
  taskDescription: "--description",
  priority: "--priority",
  requestor: "--requestor",
  contextData: "--context",
};

/**
 * Validates a submission without writing anything; throws ValidationError whose message names
 * each bad field as the caller knows it, and the rule ("description: must not be empty").
 */
export function parseSubmitInput(
  input: SubmitInput,
  names: Record<string, string> = FIELDS,
): SubmitPlanningRequestInput {
  const parsed = SubmitPlanningRequestInputSchema.safeParse({
    taskDescription: input.description,
    priority: input.priority,
    requestor: input.requestor,
    contextData: input.context,
  });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => {
    const [field, ...rest] = i.path.map(String);
    const name = [names[field ?? ""] ?? field ?? "(input)", ...rest].join(".");
    return { path: i.path.map(String).join("."), message: `${name}: ${i.message}` };
  });
  throw new ValidationError(`invalid planning request: ${issues.map((i) => i.message).join("; ")}`, issues);
}

/** Enqueues a planning request; invalid input rejects with ValidationError naming the field, and writes nothing. */
export async function submitRequest(db: Db, input: SubmitInput): Promise<PlanningRequest> {
  return submitPlanningRequest(db, parseSubmitInput(input));
}

/** Usage of `hive-planner submit`. */
export const SUBMIT_USAGE = `hive-planner submit --description <text> [--priority <int>] [--requestor <name>]
                    [--context <json object>] [--db <file> | --database-url <url>]

  --db <file>            SQLite database (env HIVE_DB_PATH)
  --database-url <url>   PostgreSQL instead (env HIVE_DATABASE_URL); not with --db

Enqueues a planning request and prints it as JSON. Exit codes: 0 submitted, 2 invalid input
(nothing written), 1 any other error.
`;

/**
 * Parses and validates `submit` flags before anything is opened or written: a bad --context,
 * --priority or --description throws ValidationError naming the flag; --db with --database-url
 * throws ConfigUsageError, as the daemon does.
 */
export function parseSubmitArgs(argv: string[]): {
  input: SubmitPlanningRequestInput;
  db: string | undefined;
  databaseUrl: string | undefined;
  help: boolean;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      description: { type: "string", short: "d" },
      priority: { type: "string", short: "p" },
      requestor: { type: "string", short: "r" },
      context: { type: "string", short: "c" },
      db: { type: "string" },
      "database-url": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const help = values.help ?? false;
  const databaseUrl = values["database-url"];
  if (help) return { input: { taskDescription: "" }, db: values.db, databaseUrl, help };
  if (values.db !== undefined && databaseUrl !== undefined)
    throw new ConfigUsageError("give --db (SQLite) or --database-url (PostgreSQL), not both");
  let context: Record<string, unknown> | null = null;
  if (values.context !== undefined) {
    try {
      context = JSON.parse(values.context);
    } catch (err) {
      throw new ValidationError(`invalid planning request: --context: not JSON (${(err as Error).message})`, [
        { path: "contextData", message: "must be a JSON object" },
      ]);
    }
    if (context === null || typeof context !== "object" || Array.isArray(context))
      throw new ValidationError("invalid planning request: --context: must be a JSON object", [
        { path: "contextData", message: "must be a JSON object" },
      ]);
  }
  const priority = values.priority === undefined ? undefined : Number(values.priority);
  if (priority !== undefined && (values.priority?.trim() === "" || !Number.isInteger(priority)))
    throw new ValidationError(
      `invalid planning request: --priority: must be an integer, got "${values.priority}"`,
      [{ path: "priority", message: "must be an integer" }],
    );
  const input = parseSubmitInput(
    {
      description: values.description ?? "",
      priority,
      requestor: values.requestor,
      context,
    },
    FLAGS,
  );
  return { input, db: values.db, databaseUrl, help };
}
