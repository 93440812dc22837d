import { describe, expect, it } from "vitest";
import { claimTasks } from "./claims.ts";
import { countTasksByStatus, createTask } from "./tasks.ts";
import { makeWorker, useTempDatabase } from "./testing/fixtures.ts";
import { testBackend } from "./testing/tempdb.ts";

const t = useTempDatabase();

// SQLite hands a claim's picked rows back as one JSON text, and a text past 2^29 bytes is
// "string or blob too big" (its buffer doubles past SQLITE_MAX_LENGTH, 1e9), a limit no test can
// lower. Quotes are the cheapest way there: stored as \" and quoted again in the claim's text,
// 4 bytes of it each, so 4 tasks of 34 Mi quotes make ~570 MB and any 2 of them fit. PostgreSQL
// builds no such text: the same claim on small payloads, to keep the test fast.
const N = 4;
const QUOTES = testBackend === "sqlite" ? 34 * 1024 * 1024 : 1024;

describe("claimTasks over large payloads", () => {
  it("hands out what fits in one claim instead of failing, and the rest in the next", async () => {
    await makeWorker(t.db);
    const blob = '"'.repeat(QUOTES);
    for (let i = 0; i < N; i++)
      await createTask(t.db, { title: `t${i}`, taskType: "t", payload: { i, blob } });
    const first = await claimTasks(t.db, { workerId: "w1", limit: N });
    expect(first.length).toBeGreaterThanOrEqual(1);
    if (testBackend === "sqlite") expect(first.length).toBeLessThan(N);
    const all = [...first];
    while (all.length < N) {
      const next = await claimTasks(t.db, { workerId: "w1", limit: N });
      expect(next.length).toBeGreaterThanOrEqual(1);
      all.push(...next);
    }
    expect(all.map((c) => c.task.payload!.i)).toEqual([0, 1, 2, 3]);
    for (const c of all) expect(c.task.payload!.blob === blob).toBe(true);
    expect(await countTasksByStatus(t.db)).toMatchObject({ queued: 0, in_progress: N });
  }, 60_000);
});
