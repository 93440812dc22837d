import type { PlanningRequest } from "@hive/models";
import { z } from "zod";
import {
  criticalPath,
  type Planner,
  type PlannerOutput,
  PlannerUnavailableError,
  PlanRejectedError,
  validatePlanOutput,
  workflowOf,
} from "./types.ts";

const DEFAULTS = {
  openai: { baseUrl: "https://api.openai.com/v1", model: "gpt-4o-mini" },
  anthropic: { baseUrl: "https://api.anthropic.com", model: "claude-sonnet-4-5" },
} as const;

export const LlmPlannerConfigSchema = z
  .object({
    kind: z.literal("llm").default("llm"),
    /** openai: any OpenAI-compatible chat-completions API; anthropic: the Messages API. */
    provider: z.enum(["openai", "anthropic"]).default("openai"),
    /** Without a key the planner is off (createLlmPlanner throws LlmPlannerDisabledError). */
    apiKey: z.string().min(1).optional(),
    /** Default https://api.openai.com/v1 or https://api.anthropic.com; `/chat/completions` or `/v1/messages` is appended. */
    baseUrl: z.string().url().optional(),
    /** Default gpt-4o-mini or claude-sonnet-4-5. */
    model: z.string().min(1).optional(),
    /** Calls per plan: the first plus retries carrying the validation error (default 3). */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    /** Per call (default 60 s). */
    timeoutMs: z.number().int().min(100).default(60_000),
  })
  .transform((c) => ({
    ...c,
    baseUrl: c.baseUrl ?? DEFAULTS[c.provider].baseUrl,
    model: c.model ?? DEFAULTS[c.provider].model,
  }));
export type LlmPlannerConfig = z.input<typeof LlmPlannerConfigSchema>;

/** The LLM planner is off without a key: it says so at start instead of failing requests one by one. */
export class LlmPlannerDisabledError extends Error {
  override name = "LlmPlannerDisabledError";
}

const SYSTEM = `You are a software project planner. Reply with ONE JSON object and nothing else:
{"sub_tasks": [{"id": string (letters, digits, _ . : -), "title": string, "description": string,
 "task_type": "analysis"|"design"|"implementation"|"testing"|"review"|"deployment",
 "priority": integer (higher first), "dependencies": [ids of subtasks that must finish first],
 "workflow_phase": string, "required_skills": [strings from analysis, design, coding, testing, review, deploy],
 "deliverables": [strings], "estimated_duration": minutes, "complexity": "simple"|"medium"|"complex",
 "assignee": null}], "on_failure": "block"}
Rules: ids unique; every dependency is an id of the plan; no cycles; the last subtask has task_type
"deployment" and depends (directly or not) on every other subtask. Use fan-out and fan-in where
work can run in parallel.`;

type Message = { role: "user" | "assistant"; content: string };

/** The first JSON object in a reply, tolerating ```json fences and prose around it. */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  const body = fenced ? fenced[1]! : text;
  const start = body.indexOf("{");
  const end = body.lastIndexOf("}");
  if (start < 0 || end <= start) throw new PlanRejectedError("the reply holds no JSON object");
  try {
    return JSON.parse(body.slice(start, end + 1));
  } catch (err) {
    throw new PlanRejectedError(`the reply is not valid JSON: ${(err as Error).message}`);
  }
}

async function call(
  cfg: z.output<typeof LlmPlannerConfigSchema>,
  messages: Message[],
  signal?: AbortSignal,
): Promise<string> {
  const timeout = AbortSignal.timeout(cfg.timeoutMs);
  const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const base = cfg.baseUrl.replace(/\/+$/, "");
  const [url, headers, body] =
    cfg.provider === "openai"
      ? [
          `${base}/chat/completions`,
          { authorization: `Bearer ${cfg.apiKey}` },
          {
            model: cfg.model,
            temperature: 0,
            response_format: { type: "json_object" },
            messages: [{ role: "system", content: SYSTEM }, ...messages],
          },
        ]
      : [
          `${base}/v1/messages`,
          { "x-api-key": cfg.apiKey!, "anthropic-version": "2023-06-01" },
          { model: cfg.model, max_tokens: 8192, system: SYSTEM, messages },
        ];
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: s,
    });
  } catch (err) {
    throw new PlannerUnavailableError(`${cfg.provider} API unreachable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // The timeout and abort signals also cover reading the body: an API that sends its headers and
  // then stalls is as unavailable as one that never answers.
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new PlannerUnavailableError(
      `${cfg.provider} API reply broke off (${res.status}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (!res.ok)
    throw new PlannerUnavailableError(`${cfg.provider} API answered ${res.status}: ${text.slice(0, 500)}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PlannerUnavailableError(`${cfg.provider} API answered with non-JSON: ${text.slice(0, 200)}`);
  }
  const content =
    cfg.provider === "openai"
      ? (json as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content
      : (json as { content?: { type: string; text?: string }[] }).content?.find((c) => c.type === "text")
          ?.text;
  if (typeof content !== "string")
    throw new PlannerUnavailableError(`${cfg.provider} API reply has no message content`);
  return content;
}

/**
 * A planner that asks an OpenAI-compatible or Anthropic chat API for plan JSON, validates it (schema
 * and DAG checks), and on an invalid plan asks again with the validation error, up to maxAttempts.
 */
export function createLlmPlanner(config: LlmPlannerConfig): Planner {
  const cfg = LlmPlannerConfigSchema.parse(config);
  if (!cfg.apiKey)
    throw new LlmPlannerDisabledError(
      `the LLM planner is off: no API key is configured (set HIVE_LLM_API_KEY, or ${cfg.provider === "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"}); use the built-in planner instead`,
    );
  return {
    kind: "llm",
    async plan(request: PlanningRequest, opts: { signal?: AbortSignal } = {}): Promise<PlannerOutput> {
      const messages: Message[] = [
        {
          role: "user",
          content: `Plan this request.\nDescription: ${request.taskDescription}\nContext: ${JSON.stringify(request.contextData ?? {})}`,
        },
      ];
      let lastError = "";
      for (let attempt = 1; attempt <= cfg.maxAttempts; attempt++) {
        const reply = await call(cfg, messages, opts.signal);
        try {
          const planData = validatePlanOutput(extractJson(reply));
          const complexities = planData.sub_tasks.map((s) => s.complexity);
          return {
            planData,
            estimatedDuration: criticalPath(planData),
            estimatedComplexity: complexities.includes("complex")
              ? "complex"
              : complexities.includes("medium")
                ? "medium"
                : "simple",
            generatedWorkflow: workflowOf(planData),
          };
        } catch (err) {
          if (!(err instanceof PlanRejectedError)) throw err;
          lastError = err.message;
          messages.push(
            { role: "assistant", content: reply },
            {
              role: "user",
              content: `That plan is invalid: ${err.message}. Reply with a corrected plan JSON only.`,
            },
          );
        }
      }
      throw new PlanRejectedError(
        `no valid plan after ${cfg.maxAttempts} attempts; last error: ${lastError}`,
      );
    },
  };
}
