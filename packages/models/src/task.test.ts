import { describe, expect, it } from "vitest";
import { ClaimTasksInputSchema, CreateTaskInputSchema, TaskStatusSchema } from "./task.ts";
import { formatZodIssues } from "./validation.ts";

describe("CreateTaskInputSchema", () => {
  it("fills defaults for a minimal task", () => {
    const t = CreateTaskInputSchema.parse({ title: "build", taskType: "build" });
    expect(t).toMatchObject({
      priority: 1,
      maxRetries: 3,
      tags: [],
      requiredSkills: [],
      dependsOn: [],
      currentPhase: "start",
    });
  });

  it("rejects an empty title and names the field", () => {
    const r = CreateTaskInputSchema.safeParse({ title: "  ", taskType: "build" });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodIssues(r.error)).toMatch(/^title: must not be empty/);
  });

  it("rejects unknown keys (a typo is an error, not silently dropped)", () => {
    const r = CreateTaskInputSchema.safeParse({ title: "a", taskType: "b", dependencies: ["x"] });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodIssues(r.error)).toContain("dependencies");
  });

  it("rejects a payload that is not a JSON object", () => {
    for (const payload of [[1, 2], "text", 3]) {
      const r = CreateTaskInputSchema.safeParse({ title: "a", taskType: "b", payload });
      expect(r.success).toBe(false);
    }
  });

  it("rejects non-integer priority and negative retries", () => {
    expect(CreateTaskInputSchema.safeParse({ title: "a", taskType: "b", priority: 1.5 }).success).toBe(false);
    expect(CreateTaskInputSchema.safeParse({ title: "a", taskType: "b", maxRetries: -1 }).success).toBe(
      false,
    );
  });
});

describe("ClaimTasksInputSchema", () => {
  it("bounds the batch size", () => {
    expect(ClaimTasksInputSchema.safeParse({ workerId: "w", limit: 0 }).success).toBe(false);
    expect(ClaimTasksInputSchema.parse({ workerId: "w" }).limit).toBe(1);
  });
});

describe("TaskStatusSchema", () => {
  it("knows the lifecycle states and nothing else", () => {
    expect(TaskStatusSchema.safeParse("queued").success).toBe(true);
    expect(TaskStatusSchema.safeParse("pending").success).toBe(false);
  });
});
