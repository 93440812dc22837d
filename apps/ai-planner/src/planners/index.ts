import { createBuiltinPlanner } from "./builtin.ts";
import { createLlmPlanner, type LlmPlannerConfig } from "./llm.ts";
import type { Planner } from "./types.ts";

export { componentsOf, createBuiltinPlanner, MAX_COMPONENTS, slug } from "./builtin.ts";
export { createLlmPlanner, extractJson, type LlmPlannerConfig, LlmPlannerDisabledError } from "./llm.ts";
export {
  criticalPath,
  type Planner,
  type PlannerOutput,
  PlannerUnavailableError,
  PlanRejectedError,
  validatePlanOutput,
  workflowOf,
} from "./types.ts";

/** The planner for a configuration; the LLM planner throws LlmPlannerDisabledError without a key. */
export function createPlanner(config: { kind: "builtin" } | (LlmPlannerConfig & { kind: "llm" })): Planner {
  return config.kind === "llm" ? createLlmPlanner(config) : createBuiltinPlanner();
}
