import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { createTask, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("listTasks filters", () => {
  it("refuses an empty task type or plan id by name instead of listing every task", async () => {
    await createTask(t.db, { title: "a", taskType: "build" });
    await createTask(t.db, { title: "b", taskType: "test" });
    for (const [field, input] of [
      ["taskType", { taskType: "" }],
      ["taskType", { taskType: "   " }],
      ["planId", { planId: "" }],
    ] as const) {
      const err = await listTasks(t.db, input).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain(field);
    }
  });

  it("matches a task type given with surrounding spaces, as createTask stored it trimmed", async () => {
    const a = await createTask(t.db, { title: "a", taskType: " build " });
    await createTask(t.db, { title: "b", taskType: "test" });
    expect(a.taskType).toBe("build");
    expect((await listTasks(t.db, { taskType: " build " })).map((x) => x.id)).toEqual([a.id]);
  });
});
