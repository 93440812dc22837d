import { describe, expect, it } from "vitest";
import { PlanValidationError } from "./errors.ts";
import {
  claimPlanningRequests,
  completePlanningRequest,
  failPlanningRequest,
  getPlanningRequest,
  submitPlanningRequest,
} from "./planning.ts";
import { validatePlanData } from "./plans.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { MESSAGE_ISSUES_MAX } from "./validate.ts";

const t = useTempDatabase();

function refusal(planData: unknown): PlanValidationError {
  try {
    validatePlanData(planData);
  } catch (e) {
    if (e instanceof PlanValidationError) return e;
    throw e;
  }
  throw new Error("the plan was accepted");
}

describe("the message of a PlanValidationError with many problems", () => {
  it("names the first schema problems and counts the rest, keeping every one in issues", () => {
    const err = refusal({ sub_tasks: Array.from({ length: 5000 }, (_, i) => ({ id: `n${i}`, title: "" })) });
    expect(err.issues).toHaveLength(5000);
    expect(err.message).toMatch(/^invalid plan: sub_tasks\.0\.title: must not be empty; /);
    expect(err.message).toContain(`and ${5000 - MESSAGE_ISSUES_MAX} more (see the error's issues)`);
    expect(err.message).not.toContain(`sub_tasks.${MESSAGE_ISSUES_MAX}.title`);
  });

  it("names the first graph problems and counts the rest", () => {
    const err = refusal({
      sub_tasks: Array.from({ length: 3000 }, (_, i) => ({
        id: `n${i}`,
        title: "t",
        dependencies: ["ghost"],
      })),
    });
    expect(err.issues).toHaveLength(3000);
    expect(err.message).toMatch(/^invalid plan: subtask "n0" depends on "ghost", which is not in the plan; /);
    expect(err.message).toContain(`and ${3000 - MESSAGE_ISSUES_MAX} more`);
  });

  it("names every problem when there are few", () => {
    const err = refusal({
      sub_tasks: [
        { id: "a", title: "A", dependencies: ["b"] },
        { id: "b", title: "B", dependencies: ["a"] },
      ],
    });
    expect(err.message).toBe("invalid plan: dependency cycle: a -> b -> a");
  });

  it("can be stored as the reason of the planning request the plan answered", async () => {
    const request = await submitPlanningRequest(t.db, { taskDescription: "x" });
    await claimPlanningRequests(t.db, { agentId: "planner" });
    const planData = { sub_tasks: Array.from({ length: 5000 }, (_, i) => ({ id: `n${i}`, title: "" })) };
    const err = (await completePlanningRequest(t.db, {
      requestId: request.id,
      agentId: "planner",
      planData,
    }).catch((e: unknown) => e)) as PlanValidationError;
    expect(err).toBeInstanceOf(PlanValidationError);
    await failPlanningRequest(t.db, { requestId: request.id, agentId: "planner", error: err.message });
    expect(await getPlanningRequest(t.db, request.id)).toMatchObject({
      status: "failed",
      errorMessage: err.message,
    });
  });
});

describe("a PlanValidationError for text the database cannot store", () => {
  it("names the field once", () => {
    const err = refusal({ sub_tasks: [{ id: "a", title: "A\u0000", dependencies: ["b\u0000"] }] });
    const rule = "must not contain NUL (U+0000) or an unpaired UTF-16 surrogate";
    expect(err.issues.map((i) => i.message)).toEqual([
      `sub_tasks.0.title: ${rule}`,
      `sub_tasks.0.dependencies.0: ${rule}`,
    ]);
    expect(err.message).toBe(`invalid plan: sub_tasks.0.title: ${rule}; sub_tasks.0.dependencies.0: ${rule}`);
  });
});
