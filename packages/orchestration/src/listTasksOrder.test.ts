import { describe, expect, it } from "vitest";
import { createTasks, listTasks } from "./tasks.ts";
import { useTempDatabase } from "./testing/fixtures.ts";

const t = useTempDatabase();

describe("listTasks", () => {
  it("lists a batch made in one call newest first, in exactly the reverse of its order", async () => {
    const made = await createTasks(
      t.db,
      Array.from({ length: 300 }, (_, i) => ({ title: `t${i}`, taskType: "t" })),
    );
    const listed = await listTasks(t.db, { limit: 300 });
    expect(listed.map((x) => x.title)).toEqual(made.map((x) => x.title).reverse());
  });
});
