import { describe, expect, it } from "vitest";
import { OrchestrationClient } from "./client.ts";
import { ValidationError } from "./errors.ts";
import { cancelTask, createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("cancelTask arguments", () => {
  it("refuses a reason that is not a string with a ValidationError naming `reason`, changing nothing", async () => {
    const task = await createTask(t.db, { title: "a", taskType: "t" });
    for (const bad of [{ reason: "user" }, 42, "", "a\u0000b"]) {
      const err = await cancelTask(t.db, task.id, bad as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toMatch(/^invalid cancelTask arguments: reason: /);
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["reason"]);
    }
    expect(await getTask(t.db, task.id)).toMatchObject({ status: "queued", lastError: null });
  });

  it("refuses an options object through OrchestrationClient too, then cancels with a string reason", async () => {
    const hive = await OrchestrationClient.open(t.temp.openOptions);
    try {
      const task = await hive.createTask({ title: "b", taskType: "t" });
      await expect(hive.cancelTask(task.id, { reason: "user" } as never)).rejects.toThrow(ValidationError);
      expect(await hive.cancelTask(task.id, "user")).toMatchObject({
        status: "cancelled",
        lastError: "user",
      });
      const other = await hive.createTask({ title: "c", taskType: "t" });
      expect(await hive.cancelTask(other.id)).toMatchObject({
        status: "cancelled",
        lastError: "cancelled by request",
      });
    } finally {
      await hive.close();
    }
  });
});
