import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { cancelTask, createTask, getTask } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("lookup keys", () => {
  it("are trimmed as the ids they look up were trimmed when stored", async () => {
    const task = await createTask(t.db, { id: "  ext-7  ", title: "x", taskType: "t" });
    expect(task.id).toBe("ext-7");
    expect((await getTask(t.db, " ext-7 "))?.id).toBe("ext-7");
    expect((await cancelTask(t.db, "ext-7 ")).status).toBe("cancelled");
  });
});

describe("a task depending on itself", () => {
  it("is refused as a self-edge, naming dependsOn, not as a missing dependency", async () => {
    const refused = createTask(t.db, { id: "self", title: "x", taskType: "t", dependsOn: ["self"] });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ issues: [{ path: "dependsOn" }] });
    expect(await getTask(t.db, "self")).toBeNull();
  });
});
