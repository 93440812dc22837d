import { readFileSync } from "node:fs";
import { formatZodIssues, SubmitPlanningRequestInputSchema } from "@hive/models";
import { ValidationError } from "@hive/orchestration";
import type { MainConfig } from "./config.ts";
import { prepareSample } from "./sample.ts";

type RequestInput = ReturnType<typeof SubmitPlanningRequestInputSchema.parse>;

function parseContext(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`invalid ${source}: not JSON (${(err as Error).message})`, [
      { path: "contextData", message: "must be a JSON object" },
    ]);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ValidationError(`invalid ${source}: must be a JSON object`, [
      { path: "contextData", message: "must be a JSON object" },
    ]);
  return value as Record<string, unknown>;
}

/**
 * The request the main job submits: the one on the command line, else the sample (whose
 * artifact is written under `workDir`). Validated whole before anything is opened or written:
 * a bad request throws ValidationError naming the field and the rule.
 */
export function prepareRequest(config: MainConfig, workDir: string): RequestInput {
  if (config.context !== undefined && config.contextFile !== undefined)
    throw new ValidationError("give --context or --context-file, not both", [
      { path: "contextData", message: "given twice" },
    ]);
  let context: Record<string, unknown> | undefined;
  if (config.context !== undefined) context = parseContext(config.context, "--context");
  if (config.contextFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(config.contextFile, "utf8");
    } catch (err) {
      throw new ValidationError(`cannot read --context-file: ${(err as Error).message}`, [
        { path: "contextData", message: "file not readable" },
      ]);
    }
    context = parseContext(text, "--context-file");
  }
  const sample = config.description === undefined ? prepareSample(workDir) : null;
  const parsed = SubmitPlanningRequestInputSchema.safeParse({
    taskDescription: config.description ?? sample?.description,
    contextData: context ?? sample?.context,
    priority: config.priority,
    requestor: "main-job",
  });
  if (!parsed.success)
    throw new ValidationError(
      `invalid request: ${formatZodIssues(parsed.error)}`,
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  return parsed.data;
}
