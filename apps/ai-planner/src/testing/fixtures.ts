import type { PlanningRequest } from "@hive/models";
import { countTasksByStatus, type Database } from "@hive/orchestration";

/** A planning request as a planner receives it (claimed, attempt 1), for planner unit tests. */
export function makeRequest(overrides: Partial<PlanningRequest> = {}): PlanningRequest {
  return {
    id: "req-1",
    taskDescription: "Build the billing service",
    priority: 1,
    requestor: null,
    contextData: null,
    status: "assigned",
    complexityEstimate: null,
    createdAt: 1,
    assignedAt: 2,
    completedAt: null,
    assignedAgent: "planner-1",
    errorMessage: null,
    attempts: 1,
    ...overrides,
  };
}

/** Rows in the tasks table, whatever their status. */
export async function taskCount(db: Database): Promise<number> {
  return Object.values(await countTasksByStatus(db)).reduce((a, b) => a + b, 0);
}
