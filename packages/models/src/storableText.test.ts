import { describe, expect, it } from "vitest";
import { isStorableText, TEXT_RULE } from "./common.ts";
import { PlanDataSchema } from "./plan.ts";
import { SubmitPlanningRequestInputSchema } from "./planning.ts";
import { CompleteTaskInputSchema, CreateTaskInputSchema, FailTaskInputSchema } from "./task.ts";
import { RegisterWorkerInputSchema } from "./worker.ts";

/** The issues (path and message) of a value the schema must reject. */
function issues(
  schema: { safeParse(v: unknown): { success: boolean; error?: { issues: unknown[] } } },
  v: unknown,
) {
  const r = schema.safeParse(v);
  if (r.success) throw new Error("accepted");
  return (r.error!.issues as { path: PropertyKey[]; message: string }[]).map((i) => ({
    path: i.path.join("."),
    message: i.message,
  }));
}

describe("storable text", () => {
  it("refuses NUL and unpaired surrogates, and keeps paired ones (an emoji) and other controls", () => {
    for (const s of ["a\u0000", "\u0000", "\ud800", "x\udc00y", "\ude00\ud83d"])
      expect(isStorableText(s)).toBe(false);
    for (const s of ["", "plain", "\ud83d\ude00", "tab\tand\u0001", "é ü 中"])
      expect(isStorableText(s)).toBe(true);
  });

  it("names the field of a task input that holds one, with the rule", () => {
    expect(issues(CreateTaskInputSchema, { title: "a\u0000", taskType: "t" })).toEqual([
      { path: "title", message: TEXT_RULE },
    ]);
    expect(
      issues(CreateTaskInputSchema, { title: "a", taskType: "t", requiredSkills: ["gpu", "\ud800"] }),
    ).toEqual([{ path: "requiredSkills.1", message: TEXT_RULE }]);
    expect(
      issues(CreateTaskInputSchema, { title: "a", taskType: "t", idempotencyKey: "k\u0000" })[0]?.path,
    ).toBe("idempotencyKey");
    expect(
      issues(RegisterWorkerInputSchema, { workerId: "w", role: "r", capabilities: ["\u0000"] })[0]?.path,
    ).toBe("capabilities.0");
    expect(issues(CompleteTaskInputSchema, { taskId: "t", token: 1, outputLog: "log\u0000" })[0]?.path).toBe(
      "outputLog",
    );
    expect(issues(FailTaskInputSchema, { taskId: "t", token: 1, error: "\udbff" })[0]?.path).toBe("error");
    expect(issues(SubmitPlanningRequestInputSchema, { taskDescription: "do \u0000" })[0]?.path).toBe(
      "taskDescription",
    );
  });

  it("accepts NUL inside a task's payload, which is stored as JSON text and never parsed by the server", () => {
    const r = CreateTaskInputSchema.safeParse({
      title: "a",
      taskType: "t",
      payload: { bytes: "\u0000\ud800" },
    });
    expect(r.success).toBe(true);
  });

  it("walks all of a plan's data, the fields no schema names included, and names the path", () => {
    const sub = { id: "a", title: "A" };
    expect(
      issues(PlanDataSchema, {
        sub_tasks: [sub, { id: "b", title: "B", payload: { deep: ["ok", "x\u0000"] } }],
      }),
    ).toEqual([{ path: "sub_tasks.1.payload.deep.1", message: TEXT_RULE }]);
    expect(issues(PlanDataSchema, { sub_tasks: [sub], notes: { "key\ud800": 1 } })).toEqual([
      { path: "notes.key\ud800", message: TEXT_RULE },
    ]);
    expect(PlanDataSchema.safeParse({ sub_tasks: [sub], notes: { emoji: "\ud83d\ude00" } }).success).toBe(
      true,
    );
  });
});
