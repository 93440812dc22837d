import {
  claimTasks,
  completeTask,
  countTasksByStatus,
  createTask,
  getExecutionPlan,
  getTask,
  registerWorker,
} from "@hive/orchestration";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "./exitCodes.ts";
import { backendArgs, type TempDatabase, tempDatabase } from "./testing/backend.ts";
import { liveChildren, runHive, runHiveJson } from "./testing/hive.ts";
import { completeOne, DIAMOND, seedPlan } from "./testing/seed.ts";

let temp: TempDatabase;
const hive = (...args: string[]) => runHive([...backendArgs(temp), ...args]);

beforeEach(async () => {
  temp = await tempDatabase();
});
afterEach(async () => {
  await temp.cleanup();
  expect(liveChildren()).toEqual([]);
});

describe("hive purge", () => {
  it("deletes finished tasks older than the age, batch by batch, and keeps younger and unfinished ones", async () => {
    const db = temp.db;
    await registerWorker(db, { workerId: "w", role: "r" });
    for (let i = 0; i < 5; i++) await createTask(db, { title: `t${i}`, taskType: "t" });
    const claimed = await claimTasks(db, { workerId: "w", limit: 5 });
    for (const c of claimed) await completeTask(db, { taskId: c.task.id, token: c.token });
    const waiting = await createTask(db, { title: "later", taskType: "t", runAt: Date.now() + 3_600_000 });

    const young = await runHiveJson<{ tasks: number }>([...backendArgs(temp), "purge", "--older-than", "1h"]);
    expect(young.tasks).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    const all = await runHiveJson<{ tasks: number; plans: number; planningRequests: number }>([
      ...backendArgs(temp),
      "purge",
      "--older-than",
      "0",
      "--batch",
      "2",
    ]);
    expect(all).toEqual({ tasks: 5, plans: 0, planningRequests: 0 });
    expect((await countTasksByStatus(db)).completed).toBe(0);
    expect(await getTask(db, waiting.id)).not.toBeNull();
    const text = await hive("purge", "--older-than", "30d");
    expect(text.stdout).toContain(
      "purged 0 standalone tasks, 0 plans (each with all its tasks), 0 planning requests",
    );
  });

  it("counts a finished plan in plans and says its tasks went with it, not as 0 tasks deleted", async () => {
    const db = temp.db;
    const { planId } = await seedPlan(db, DIAMOND);
    for (const node of ["design", "api", "ui", "ship"]) await completeOne(db, "w", node);
    const standalone = await createTask(db, { title: "alone", taskType: "t" });
    await completeOne(db, "w", "t");
    expect((await countTasksByStatus(db)).completed).toBe(5);
    await new Promise((r) => setTimeout(r, 5));

    const text = await hive("purge", "--older-than", "0");
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      "purged 1 standalone tasks, 1 plans (each with all its tasks), 1 planning requests",
    );
    // Every task went: the standalone one counted in tasks, the plan's four with their plan.
    expect(Object.values(await countTasksByStatus(db)).reduce((a, b) => a + b, 0)).toBe(0);
    expect(await getTask(db, standalone.id)).toBeNull();
    expect(await getExecutionPlan(db, planId)).toBeNull();
    const again = await runHiveJson([...backendArgs(temp), "purge", "--older-than", "0"]);
    expect(again).toEqual({ tasks: 0, plans: 0, planningRequests: 0 });
  });

  it("exit 2 for an age without a unit or a bad batch, and deletes nothing", async () => {
    const db = temp.db;
    await registerWorker(db, { workerId: "w", role: "r" });
    await createTask(db, { title: "t", taskType: "t" });
    const [c] = await claimTasks(db, { workerId: "w" });
    await completeTask(db, { taskId: c!.task.id, token: c!.token });
    await new Promise((r) => setTimeout(r, 5));
    const results = await Promise.all([
      hive("purge", "--older-than", "30"),
      hive("purge", "--older-than", "-1d"),
      hive("purge", "--older-than", "0", "--batch", "0"),
      hive("purge"),
    ]);
    expect(results.map((r) => r.code)).toEqual(results.map(() => ExitCode.usage));
    expect(results[0]!.stderr).toContain("must be a number with a unit");
    expect(results[3]!.stderr).toContain("--older-than");
    expect((await countTasksByStatus(db)).completed).toBe(1);
  });
});
