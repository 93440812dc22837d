import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PlanningRequest, Task } from "@hive/models";
import {
  claimPlanningRequests,
  claimTasks,
  completeTask,
  createTask,
  failPlanningRequest,
  getTask,
  listPlanningRequests,
  registerWorker,
  submitPlanningRequest,
  updateWorkerHeartbeat,
} from "@hive/orchestration";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "./exitCodes.ts";
import { backendArgs, type TempDatabase, tempDatabase, testBackend } from "./testing/backend.ts";
import { liveChildren, runHive, runHiveJson, startHive } from "./testing/hive.ts";
import { claimOne, completeOne, DIAMOND, failOne, seedPlan } from "./testing/seed.ts";
import type { PlanSummary, PlanView } from "./views/plans.ts";
import type { StatusView } from "./views/status.ts";
import type { TaskView } from "./views/tasks.ts";
import type { WorkerView } from "./views/workers.ts";

let temp: TempDatabase;
let db: TempDatabase["db"];
/** `hive <args>` on this test's database. */
const hive = (...args: string[]) => runHive([...backendArgs(temp), ...args]);
const hiveJson = <T>(...args: string[]) => runHiveJson<T>([...backendArgs(temp), ...args]);

beforeEach(async () => {
  temp = await tempDatabase();
  db = temp.db;
});
afterEach(async () => {
  await temp.cleanup();
  expect(liveChildren()).toEqual([]);
});

describe("hive migrate and opening the database", () => {
  // File paths are SQLite's: on PostgreSQL there is no file to be missing.
  it.skipIf(testBackend === "postgres")(
    "creates and migrates a new database file; other commands refuse a missing file with exit 5",
    async () => {
      const path = join(temp.dir, "new.db");
      const missing = await runHive(["--db", path, "status"]);
      expect(missing.code).toBe(ExitCode.unavailable);
      expect(missing.stderr).toContain("hive migrate");
      expect(existsSync(path)).toBe(false);

      const migrated = await runHive(["--db", path, "migrate"]);
      expect(migrated.code).toBe(0);
      expect(migrated.stdout).toContain(`migrated ${path}`);
      const status = await runHiveJson<StatusView>(["--db", path, "status"]);
      expect(status.totalTasks).toBe(0);
    },
  );

  it.skipIf(testBackend === "postgres")(
    "refuses a directory given as the database file with exit 5 saying so, not SQLite's disk I/O error",
    async () => {
      for (const command of ["status", "migrate"]) {
        const r = await runHive(["--db", temp.dir, command]);
        expect(r.code, r.stderr).toBe(ExitCode.unavailable);
        expect(r.stderr).toContain(`${temp.dir} is a directory, not a database file`);
        expect(r.stderr).not.toMatch(/disk I\/O error|unable to open/);
      }
    },
  );

  it("migrates the configured backend again without harm (exit 0)", async () => {
    const r = await hive("migrate", "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ migrated: true, backend: testBackend });
  });

  it("exits 5 when the PostgreSQL server cannot be reached", async () => {
    const r = await runHive(["--url", "postgres://nobody@127.0.0.1:1/none", "status"]);
    expect(r.code).toBe(ExitCode.unavailable);
    expect(r.stderr).toContain("cannot open the database");
  });
});

describe("hive status", () => {
  it("counts tasks per state, lists workers with their last heartbeat and expired leases", async () => {
    await createTask(db, { title: "waiting", taskType: "build" });
    const stuck = await createTask(db, { title: "stuck", taskType: "deploy" });
    await registerWorker(db, { workerId: "w-dead", role: "deployer" });
    await claimTasks(db, { workerId: "w-dead", taskTypes: ["deploy"], leaseMs: 100 });
    await registerWorker(db, { workerId: "w-alive", role: "builder" });
    await updateWorkerHeartbeat(db, "w-alive");
    await new Promise((r) => setTimeout(r, 300)); // the 100 ms lease runs out; no reaper runs here

    const [json, text] = await Promise.all([hiveJson<StatusView>("status"), hive("status")]);
    expect(json.tasks).toMatchObject({ queued: 1, in_progress: 1, completed: 0 });
    expect(json.totalTasks).toBe(2);
    expect(json.workers.map((w) => w.id).sort()).toEqual(["w-alive", "w-dead"]);
    expect(json.expiredLeases).toEqual([expect.objectContaining({ taskId: stuck.id, workerId: "w-dead" })]);
    expect(json.workers.find((w) => w.id === "w-dead")!.runningTasks).toEqual([stuck.id]);

    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/expired leases\s+1/);
    expect(text.stdout).toMatch(/in_progress\s+1/);
    expect(text.stdout).toMatch(/w-alive\s+builder\s+active\s+\d+s ago/);
    expect(text.stdout).toContain(stuck.id);
  });
});

describe("hive tasks", () => {
  it("lists tasks filtered by state, type and plan, as JSON and as a table", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    const loose = await createTask(db, { title: "loose end", taskType: "chore" });

    const [blocked, ofType, ofPlan, table] = await Promise.all([
      hiveJson<Task[]>("tasks", "list", "--status", "blocked"),
      hiveJson<Task[]>("tasks", "list", "--type", "chore"),
      hiveJson<Task[]>("tasks", "list", "--plan", planId),
      hive("tasks", "list", "--status", "queued"),
    ]);
    expect(blocked.map((t) => t.subtaskId).sort()).toEqual(["api", "ship", "ui"]);
    expect(ofType.map((t) => t.id)).toEqual([loose.id]);
    expect(ofPlan.map((t) => t.subtaskId).sort()).toEqual(["api", "design", "ship", "ui"]);

    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID\s+STATE\s+TYPE\s+TITLE\s+ATTEMPTS\s+WORKER\s+UPDATED$/);
    expect(
      lines
        .slice(1)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual([`${planId}:design`, loose.id].sort());
  });

  it("shows a task with its dependencies, runs and the tail of each output log", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    const log = `${Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n")}\n`;
    await completeOne(db, "w1", "design", log);

    const [text, json] = await Promise.all([
      hive("tasks", "show", `${planId}:design`),
      hiveJson<TaskView>("tasks", "show", `${planId}:api`),
    ]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/state\s+✔ completed/);
    expect(text.stdout).toContain("--- run 1 output (last 20 of 30 lines) ---");
    expect(text.stdout).toMatch(/^1\s+completed\s+w1\s+\d+s ago/m);
    expect(text.stdout).toMatch(/line 11\n(line \d+\n){18}line 30\n$/);
    expect(text.stdout).not.toMatch(/^line 10$/m);
    expect(json.task.status).toBe("queued");
    expect(json.dependencies).toEqual([
      { id: `${planId}:design`, title: "Design the page", status: "completed" },
    ]);
    expect(json.runs).toEqual([]);
  });

  it("retries a failed task; a running task exits 4 and an unknown one 3, changing nothing", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    await completeOne(db, "w1", "design");
    await failOne(db, "w1", "ui");
    await claimOne(db, "w2", "api");
    expect((await getTask(db, `${planId}:ship`))!.status).toBe("upstream_failed");

    const retried = await hive("tasks", "retry", `${planId}:ui`);
    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`task ${planId}:ui requeued: ○ queued`);
    expect((await getTask(db, `${planId}:ui`))!).toMatchObject({ status: "queued", attempts: 0 });
    expect((await getTask(db, `${planId}:ship`))!.status).toBe("blocked");

    const [running, unknown] = await Promise.all([
      hive("tasks", "retry", `${planId}:api`),
      hive("tasks", "retry", "no-such-task"),
    ]);
    expect(running.code).toBe(ExitCode.conflict);
    expect(running.stderr).toContain("cannot go from in_progress to queued");
    expect((await getTask(db, `${planId}:api`))!.status).toBe("in_progress");
    expect(unknown.stderr).toContain('task "no-such-task" does not exist');
    expect(unknown.code).toBe(ExitCode.notFound);
  });

  it("cancels a queued task (its dependents follow) and refuses a finished one with exit 4", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    const r = await hiveJson<Task>("tasks", "cancel", `${planId}:design`, "--reason", "not needed");
    expect(r).toMatchObject({ status: "cancelled", lastError: "not needed" });
    for (const id of ["api", "ui", "ship"])
      expect((await getTask(db, `${planId}:${id}`))!.status).toBe("upstream_failed");

    const again = await hive("tasks", "cancel", `${planId}:design`);
    expect(again.code).toBe(ExitCode.conflict);
    expect(again.stderr).toContain("InvalidTransitionError");
  });

  it("prints control characters in titles as visible escapes, never raw to the terminal", async () => {
    const t = await createTask(db, { title: "evil\u001b[2J\u001b]0;pwned\u0007 title", taskType: "x" });
    const [list, show] = await Promise.all([hive("tasks", "list"), hive("tasks", "show", t.id)]);
    for (const out of [list.stdout, show.stdout]) {
      expect(out).toContain("evil\\x1b[2J\\x1b]0;pwned\\x07 title");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting that no raw escape is printed
      expect(out).not.toMatch(/[\u001b\u0007]/);
    }
  });
});

describe("hive workers", () => {
  it("lists workers with their status, last heartbeat and the tasks they run now", async () => {
    await registerWorker(db, { workerId: "w-build", role: "builder", capabilities: ["node"] });
    await registerWorker(db, { workerId: "w-idle", role: "deployer" });
    const done = await createTask(db, { title: "done", taskType: "build" });
    const [c] = await claimTasks(db, { workerId: "w-idle", taskTypes: ["build"] });
    await completeTask(db, { taskId: done.id, token: c!.token });
    // Draining after its task finished (a draining worker is handed nothing).
    await updateWorkerHeartbeat(db, { workerId: "w-idle", status: "draining" });
    const running = await createTask(db, { title: "running", taskType: "build" });
    await claimTasks(db, { workerId: "w-build", taskTypes: ["build"] });

    const [draining, text] = await Promise.all([
      hiveJson<WorkerView[]>("workers", "list", "--status", "draining"),
      hive("workers", "list"),
    ]);
    // A finished task is neither the worker's current task nor among what it runs.
    expect(draining).toEqual([
      expect.objectContaining({ id: "w-idle", currentTaskId: null, runningTasks: [] }),
    ]);
    expect(text.stdout).toMatch(
      new RegExp(`w-build\\s+builder\\s+active\\s+node\\s+${running.id}\\s+\\d+s ago`),
    );
    expect(text.stdout).toMatch(/w-idle\s+deployer\s+draining\s+-\s+-\s+\d+s ago/);
  });
});

describe("hive plans", () => {
  it("lists plans with progress and draws a plan's DAG with each node's state", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    await completeOne(db, "w1", "design");
    await claimOne(db, "w2", "api");

    const [list, view, text, listText] = await Promise.all([
      hiveJson<PlanSummary[]>("plans", "list"),
      hiveJson<PlanView>("plans", "show", planId),
      hive("plans", "show", planId),
      hive("plans", "list"),
    ]);
    expect(list).toEqual([
      expect.objectContaining({
        id: planId,
        status: "executing",
        completed: 1,
        active: 1,
        total: 4,
        progressPercent: 25,
      }),
    ]);
    expect(list[0]!.description).toBe("Build and ship the landing page");
    expect(view.dag.layers).toEqual([["design"], ["api", "ui"], ["ship"]]);
    expect(Object.fromEntries(view.dag.nodes.map((n) => [n.id, n.state]))).toEqual({
      design: "completed",
      api: "in_progress",
      ui: "queued",
      ship: "blocked",
    });

    expect(text.code).toBe(0);
    expect(text.stdout).toContain("[#####---------------] 25%  1/4 completed");
    const dag = text.stdout.slice(text.stdout.indexOf("┌ layer 1"));
    expect(dag).toMatch(/┌ layer 1\n│ ✔ {2}design\s+Design the page\s+completed\n├ layer 2\n/);
    expect(dag).toMatch(/│ ▶ {2}api\s+Build the API\s+in_progress\s+← design\n/);
    expect(dag).toMatch(/│ ○ {2}ui\s+Build the UI\s+queued\s+← design\n/);
    expect(dag).toMatch(/└ layer 3\n {2}· {2}ship\s+Ship it\s+blocked\s+← api, ui/);
    expect(listText.stdout).toMatch(new RegExp(`${planId}\\s+executing\\s+\\[###-------\\] 25%\\s+1/4\\s+1`));
  });

  it("counts a plan's failed subtasks apart from those that cannot run because of them, in the table as in JSON", async () => {
    const { planId } = await seedPlan(db, DIAMOND);
    await failOne(db, "w1", "design");
    const [list, text] = await Promise.all([hiveJson<PlanSummary[]>("plans", "list"), hive("plans", "list")]);
    expect(list).toEqual([expect.objectContaining({ id: planId, status: "failed", failed: 1, blocked: 3 })]);
    const [header, row] = text.stdout.trim().split("\n");
    expect(header).toMatch(/\bRUNNING\s+FAILED\s+CANNOT RUN\s+REQUEST\b/);
    expect(row).toMatch(new RegExp(`${planId}\\s+failed\\s+\\[-+\\] 0%\\s+0/4\\s+0\\s+1\\s+3\\s+Build`));
  });

  it("exports the DAG as Mermaid and DOT with states, quoting titles safely", async () => {
    const { planId } = await seedPlan(db, [
      { id: "a", title: 'Say "hi" <b>&</b> [x]' },
      { id: "b.c", title: "back\\slash", dependencies: ["a"] },
    ]);
    await completeOne(db, "w1", "a");
    const [mermaid, dot, json] = await Promise.all([
      hive("plans", "export", planId, "--format", "mermaid"),
      hive("plans", "export", planId, "--format", "dot"),
      hiveJson<{ format: string; source: string }>("plans", "export", planId, "--format", "dot"),
    ]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toContain("flowchart LR");
    expect(mermaid.stdout).toContain(
      'n0["a: Say #34;hi#34; #60;b#62;#38;#60;/b#62; #91;x#93;<br/>completed"]',
    );
    expect(mermaid.stdout).toContain('n1["b.c: back#92;slash<br/>queued"]');
    expect(mermaid.stdout).toContain("n0 --> n1");
    expect(mermaid.stdout).toMatch(/classDef completed fill:#d3f9d8/);
    expect(mermaid.stdout).toContain("class n0 completed");

    expect(dot.code).toBe(0);
    expect(dot.stdout).toContain(
      '"a" [label="a\\nSay \\"hi\\" <b>&</b> [x]\\ncompleted", fillcolor="#d3f9d8"',
    );
    expect(dot.stdout).toContain('"b.c" [label="b.c\\nback\\\\slash\\nqueued"');
    expect(dot.stdout).toContain('"a" -> "b.c";');
    expect(json).toEqual({ planId, format: "dot", source: dot.stdout });
  });

  it("exits 3 for a plan that does not exist", async () => {
    const show = await hive("plans", "show", "nope");
    expect(show.code).toBe(ExitCode.notFound);
    expect(show.stderr).toContain('execution plan "nope" does not exist');
  });
});

describe("hive requests list", () => {
  it("shows a request whose planning failed, which has no plan to list, with the planner's error", async () => {
    const failed = await submitPlanningRequest(db, { taskDescription: "Build the impossible", priority: 3 });
    const [claimed] = await claimPlanningRequests(db, { agentId: "planner-1" });
    expect(claimed?.id).toBe(failed.id);
    await failPlanningRequest(db, {
      requestId: failed.id,
      agentId: "planner-1",
      error: "invalid plan: cycle a -> b -> a",
    });
    const pending = await submitPlanningRequest(db, { taskDescription: "Build the possible" });

    const [all, onlyFailed, text, bad] = await Promise.all([
      hiveJson<PlanningRequest[]>("requests", "list"),
      hiveJson<PlanningRequest[]>("requests", "list", "-s", "failed"),
      hive("requests", "list"),
      hive("requests", "list", "-s", "done"),
    ]);
    expect(all.map((r) => [r.id, r.status])).toEqual([
      [pending.id, "pending"],
      [failed.id, "failed"],
    ]);
    expect(onlyFailed).toEqual([
      expect.objectContaining({
        id: failed.id,
        errorMessage: "invalid plan: cycle a -> b -> a",
        attempts: 1,
      }),
    ]);
    expect(text.stdout).toMatch(
      new RegExp(
        `${failed.id}\\s+failed\\s+3\\s+1\\s+planner-1\\s+.+Build the impossible\\s+invalid plan: cycle a -> b -> a`,
      ),
    );
    expect(bad.code).toBe(ExitCode.usage);
  });
});

describe("hive requests submit", () => {
  it("enqueues a planning request; a bad --context or empty description exits 2 and writes nothing", async () => {
    const ok = await hiveJson<PlanningRequest>(
      "requests",
      "submit",
      "--description",
      "Build a landing page",
      "--priority",
      "5",
      "--requestor",
      "ops",
      "--context",
      '{"repo":"web"}',
    );
    expect(ok).toMatchObject({
      status: "pending",
      priority: 5,
      requestor: "ops",
      contextData: { repo: "web" },
    });

    const [notJson, notObject, empty] = await Promise.all([
      hive("requests", "submit", "-d", "x", "--context", "{oops"),
      hive("requests", "submit", "-d", "x", "--context", "[1]"),
      hive("requests", "submit", "-d", "   "),
    ]);
    for (const r of [notJson, notObject, empty]) expect(r.code).toBe(ExitCode.usage);
    expect(notJson.stderr).toContain("--context is not JSON");
    expect(empty.stderr).toContain("taskDescription: must not be empty");
    expect((await listPlanningRequests(db)).map((r) => r.id)).toEqual([ok.id]);
  });

  it("refuses an --id that is taken with exit 4 and a one-line message, keeping the first request", async () => {
    const first = await hive("requests", "submit", "-d", "first", "--id", "req-1");
    expect(first.code).toBe(0);
    const again = await hive("requests", "submit", "-d", "second", "--id", "req-1");
    expect(again.code).toBe(ExitCode.conflict);
    expect(again.stderr.trim()).toBe(
      'InvalidTransitionError: planning request "req-1" cannot go from existing to created: a planning request with this id already exists',
    );
    const requests = await listPlanningRequests(db);
    expect(requests.map((r) => [r.id, r.taskDescription])).toEqual([["req-1", "first"]]);
  });
});

describe("output", () => {
  it("ends quietly with exit 0 when its reader has closed the pipe (hive tasks list | head), no EPIPE stack", async () => {
    await seedPlan(db, DIAMOND);
    const h = startHive([...backendArgs(temp), "tasks", "list"]);
    // Closed before hive writes: it opens the database first.
    h.child.stdout!.destroy();
    expect(await h.exited, h.output()).toBe(0);
    expect(h.output()).not.toContain("EPIPE");
  });
});

describe("usage errors", () => {
  it("exit 2 for an unknown command, a bad filter, a missing option or two backends", async () => {
    const results = await Promise.all([
      hive("taks", "list"),
      hive("tasks", "list", "--status", "pending"),
      hive("plans", "export", "x"),
      runHive(["--db", "a.db", "--url", "postgres://x", "status"]),
    ]);
    expect(results.map((r) => r.code)).toEqual(results.map(() => ExitCode.usage));
    expect(results[0]!.stderr).toContain("unknown command 'taks'");
    expect(results[1]!.stderr).toContain("status: Invalid option");
    expect(results[2]!.stderr).toContain("required option '-f, --format <format>' not specified");
    expect(results[3]!.stderr).toContain("not both");
  });

  it("exit 2 naming the flag or variable for a database URL that is not a PostgreSQL URL, instead of a DNS failure (exit 5)", async () => {
    const [flag, scheme, variable] = await Promise.all([
      runHive(["--url", "notaurl", "status"]),
      runHive(["--url", "http://secret:pw@example.org/db", "status"]),
      runHive(["status"], { HIVE_DATABASE_URL: "localhost:5432" }),
    ]);
    expect([flag.code, scheme.code, variable.code]).toEqual([ExitCode.usage, ExitCode.usage, ExitCode.usage]);
    expect(flag.stderr).toContain(
      '--url must be a PostgreSQL URL (postgres://user@host:5432/db), got "notaurl"',
    );
    expect(flag.stderr).not.toContain("ENOTFOUND");
    expect(scheme.stderr).toContain('got "http://***@example.org/db"');
    expect(variable.stderr).toContain("$HIVE_DATABASE_URL must be a PostgreSQL URL");
  });

  it("exit 2 naming the flag or variable for a PostgreSQL schema name Hive cannot use, which SQLite ignores", async () => {
    const url = "postgres://nobody@127.0.0.1:1/none";
    const [flag, variable, sqlite] = await Promise.all([
      runHive(["--url", url, "--schema", 'Bad"Name', "status"]),
      runHive(["status"], { HIVE_DATABASE_URL: url, HIVE_DATABASE_SCHEMA: "1st" }),
      runHive(["--db", join(temp.dir, "missing.db"), "--schema", "x-y", "status"]),
    ]);
    expect([flag.code, variable.code]).toEqual([ExitCode.usage, ExitCode.usage]);
    expect(flag.stderr).toContain(
      '--schema must be a PostgreSQL schema name (letters, digits and _, not starting with a digit), got "Bad"Name"',
    );
    expect(variable.stderr).toContain("$HIVE_DATABASE_SCHEMA must be a PostgreSQL schema name");
    expect(sqlite.code).toBe(ExitCode.unavailable);
  });

  it("exit 2 for an empty or non-decimal number (a script's unset variable) instead of reading it as 0, writing nothing", async () => {
    const results = await Promise.all([
      hive("requests", "submit", "-d", "x", "-p", ""),
      hive("requests", "submit", "-d", "x", "-p", "0x10"),
      hive("tasks", "list", "--offset", " "),
      hive("tasks", "show", "some-task", "--log-lines", ""),
      hive("purge", "--older-than", "30d", "--batch", "1e3"),
    ]);
    for (const r of results) {
      expect(r.code, r.stderr).toBe(ExitCode.usage);
      expect(r.stderr).toMatch(/invalid input: \w+: must be an integer/);
    }
    expect(await listPlanningRequests(db)).toEqual([]);
    const ok = await hiveJson<PlanningRequest>("requests", "submit", "-d", "x", "-p", " -3 ");
    expect(ok.priority).toBe(-3);
  });

  it("prints help with exit 0", async () => {
    const r = await runHive(["tasks", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/list \[options\]/);
    expect(r.stdout).toMatch(/retry \[options\] <taskId>/);
  });
});
