import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  countTasksByStatus,
  listExecutionPlans,
  listPlanningRequests,
  submitPlanningRequest,
} from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { entries } from "./support/daemons.ts";
import { type E2E, useE2E } from "./support/e2e.ts";

interface BadCase {
  what: string;
  args: string[];
  /** What the error must say: the field and the rule. */
  says: RegExp[];
}

async function run(t: E2E, name: string, entry: string, args: string[]) {
  const d = t.pool.start(name, entry, args);
  return { code: await d.exited, output: d.output() };
}

/** Nothing but the one request the test seeded is in the database. */
async function expectOnlySeed(t: E2E, seedId: string) {
  expect((await listPlanningRequests(t.db, { limit: 100 })).map((r) => r.id)).toEqual([seedId]);
  expect(await listExecutionPlans(t.db)).toEqual([]);
  expect(Object.values(await countTasksByStatus(t.db)).every((n) => n === 0)).toBe(true);
}

describe("bad submissions", () => {
  const t = useE2E();

  it("the planner's submit command rejects a bad request with a clear error and writes nothing", async () => {
    const seed = await run(t, "submit-good", entries.planner, [
      "submit",
      "--db",
      t.dbPath,
      "--description",
      "a good request",
      "--context",
      '{"components":["api"]}',
    ]);
    expect(seed.code).toBe(0);
    const [seeded] = await listPlanningRequests(t.db);
    expect(seeded?.taskDescription).toBe("a good request");

    const cases: BadCase[] = [
      {
        what: "invalid-json",
        args: ["--description", "x", "--context", "{not json"],
        says: [/context/, /JSON/],
      },
      { what: "not-object", args: ["--description", "x", "--context", "[1,2]"], says: [/context/, /object/] },
      { what: "empty", args: ["--description", "   "], says: [/description/, /must not be empty/] },
      // argv holds at most 128 KiB per argument, so an oversized context cannot reach this
      // command; the main job's --context-file test below covers it.
      { what: "oversized", args: ["--description", "x".repeat(20_001)], says: [/description/, /20000/] },
    ];
    // Each case against the existing database, and the last one against a path that does not
    // exist yet: rejected before the database is even opened, so no file appears.
    const fresh = join(t.dir, "never-created.db");
    const results = await Promise.all([
      ...cases.map((c) =>
        run(t, `submit-${c.what}`, entries.planner, ["submit", "--db", t.dbPath, ...c.args]),
      ),
      run(t, "submit-fresh", entries.planner, ["submit", "--db", fresh, ...cases.at(-1)!.args]),
    ]);
    for (const [i, r] of results.entries()) {
      const c = cases[i] ?? cases.at(-1)!;
      expect(r.code, `${c.what}: ${r.output}`).toBe(2);
      for (const re of c.says) expect(r.output, c.what).toMatch(re);
      expect(r.output, `${c.what}: a message, not a stack trace`).not.toMatch(/^\s+at /m);
    }
    await expectOnlySeed(t, seeded!.id);
    expect(existsSync(fresh)).toBe(false);
  });

  it("the main job rejects a bad request before opening the database or starting any process", async () => {
    const seeded = await submitPlanningRequest(t.db, { taskDescription: "already there" });
    const big = join(t.dir, "big-context.json");
    writeFileSync(big, JSON.stringify({ components: ["api"], notes: "x".repeat(300_000) }));
    const bad = join(t.dir, "bad-context.json");
    writeFileSync(bad, "{ components: [api] }");
    const cases: BadCase[] = [
      { what: "invalid-json", args: ["--context", "{not json"], says: [/--context: not JSON/] },
      { what: "invalid-json-file", args: ["--context-file", bad], says: [/--context-file: not JSON/] },
      { what: "empty", args: ["--description", ""], says: [/taskDescription: must not be empty/] },
      {
        what: "oversized-context",
        args: ["--description", "x", "--context-file", big],
        says: [/contextData: must serialize to at most 262144 bytes/],
      },
      {
        what: "oversized-description",
        args: ["--description", "x".repeat(20_001)],
        says: [/taskDescription/],
      },
    ];
    const fresh = join(t.dir, "never-created.db");
    const work = join(t.dir, "work");
    const results = await Promise.all([
      ...cases.map((c) =>
        run(t, `main-${c.what}`, entries.mainJob, [t.dbPath, "--work-dir", work, ...c.args]),
      ),
      run(t, "main-fresh", entries.mainJob, [fresh, "--work-dir", work, ...cases.at(-1)!.args]),
    ]);
    for (const [i, r] of results.entries()) {
      const c = cases[i] ?? cases.at(-1)!;
      expect(r.code, `${c.what}: ${r.output}`).toBe(2);
      for (const re of c.says) expect(r.output, c.what).toMatch(re);
      expect(r.output, c.what).toMatch(/ValidationError/);
      expect(r.output, `${c.what} started nothing`).not.toMatch(/started|submitted/);
    }
    await expectOnlySeed(t, seeded.id);
    expect(existsSync(fresh)).toBe(false);
  });
});
