import type { ExecutionPlan, PlanDataInput } from "@hive/models";
import { afterEach, beforeEach } from "vitest";
import type { Database } from "../handle.ts";
import { claimPlanningRequests, completePlanningRequest, submitPlanningRequest } from "../planning.ts";
import { registerWorker } from "../workers.ts";
import { type TempDatabase, tempDatabase } from "./tempdb.ts";

/** A fresh database per test (`ctx.db`), removed after it. */
export function useTempDatabase(): { readonly db: Database; readonly temp: TempDatabase } {
  let temp: TempDatabase | undefined;
  beforeEach(async () => {
    temp = await tempDatabase();
  });
  afterEach(async () => {
    await temp?.cleanup();
    temp = undefined;
  });
  return {
    get db() {
      return temp!.db;
    },
    get temp() {
      return temp!;
    },
  };
}

/** Registers a worker with these capabilities and returns its id. */
export async function makeWorker(db: Database, id = "w1", capabilities: string[] = []): Promise<string> {
  await registerWorker(db, { workerId: id, role: "test", capabilities });
  return id;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stores and starts a plan through the planner's path (submit a request, claim it, complete it with the plan). */
export async function startedPlan(db: Database, planData: PlanDataInput): Promise<ExecutionPlan> {
  const request = await submitPlanningRequest(db, { taskDescription: "do it" });
  await claimPlanningRequests(db, { agentId: "planner" });
  return (await completePlanningRequest(db, { requestId: request.id, agentId: "planner", planData })).plan;
}
