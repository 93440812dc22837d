import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { cancelPlan, getExecutionPlanStatus, subtaskTaskId } from "./plans.ts";
import { getTask } from "./tasks.ts";
import { startedPlan, useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("cancelPlan's reason", () => {
  it.each([
    ["holding NUL", "stop\u0000now", /reason: must not contain NUL/],
    [
      "holding a lone surrogate",
      "stop\ud800",
      /reason: must not contain NUL \(U\+0000\) or an unpaired UTF-16 surrogate/,
    ],
    ["empty", "  ", /reason: must not be empty/],
    ["not a string", { reason: "x" }, /reason: /],
    ["too long", "x".repeat(100_001), /reason: must be at most 100000 characters/],
  ])("is refused %s, naming it, and the plan stays as it was", async (_, reason, message) => {
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "a", title: "A" }] });
    const err = await cancelPlan(t.db, plan.id, reason as string).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toMatch(message);
    expect(await getExecutionPlanStatus(t.db, plan.id)).toBe("executing");
    expect((await getTask(t.db, subtaskTaskId(plan.id, "a")))!.status).toBe("queued");
  });

  it("is kept as the last error of the tasks it cancelled", async () => {
    const plan = await startedPlan(t.db, { sub_tasks: [{ id: "a", title: "A" }] });
    await cancelPlan(t.db, plan.id, "superseded");
    expect(await getTask(t.db, subtaskTaskId(plan.id, "a"))).toMatchObject({
      status: "cancelled",
      lastError: "superseded",
    });
  });
});
