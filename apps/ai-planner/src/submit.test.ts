import { existsSync } from "node:fs";
import { join } from "node:path";
import { MAX_CONTEXT_BYTES } from "@hive/models";
import { getPlanningRequest, listPlanningRequests, ValidationError } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { parseSubmitArgs, submitRequest } from "./submit.ts";
import { usePlannerProcesses } from "./testing/processes.ts";
import { useTempDatabase } from "./testing/tempdb.ts";

const temp = useTempDatabase();
const processes = usePlannerProcesses();

describe("submitRequest", () => {
  it("enqueues a pending request with its priority, requestor and context", async () => {
    const r = await submitRequest(temp.db, {
      description: "  Build the billing API  ",
      priority: 7,
      requestor: "alice",
      context: { components: ["api"], target_environment: "staging" },
    });
    expect(await getPlanningRequest(temp.db, r.id)).toMatchObject({
      status: "pending",
      taskDescription: "Build the billing API",
      priority: 7,
      requestor: "alice",
      contextData: { components: ["api"], target_environment: "staging" },
      assignedAgent: null,
      attempts: 0,
    });
  });

  it.each([
    ["a blank description", { description: " " }, "description: must not be empty"],
    ["a fractional priority", { description: "x", priority: 1.5 }, "priority: "],
    ["an empty requestor", { description: "x", requestor: "" }, "requestor: "],
    [
      "a context over the size limit",
      { description: "x", context: { blob: "y".repeat(MAX_CONTEXT_BYTES) } },
      "context: must serialize to at most",
    ],
  ])("rejects %s naming the field, and writes nothing", async (_what, input, message) => {
    const err = await submitRequest(temp.db, input as never).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toContain(message);
    expect(await listPlanningRequests(temp.db)).toEqual([]);
  });
});

describe("parseSubmitArgs", () => {
  it("parses every flag into a validated request", () => {
    expect(
      parseSubmitArgs([
        "-d",
        "ship it",
        "--priority=-3",
        "-r",
        "bob",
        "-c",
        '{"deploy":false}',
        "--db",
        "x.db",
      ]),
    ).toEqual({
      input: { taskDescription: "ship it", priority: -3, requestor: "bob", contextData: { deploy: false } },
      db: "x.db",
      help: false,
    });
  });

  it.each([
    [["-d", "x", "-c", "{nope"], "--context: not JSON"],
    [["-d", "x", "-c", "[1,2]"], "--context: must be a JSON object"],
    [["-d", "x", "-p", "high"], '--priority: must be an integer, got "high"'],
    [["-d", "x", "-p", ""], "--priority: must be an integer"],
    [["-p", "2"], "--description: must not be empty"],
  ])("rejects %j with a message naming the flag", (argv, message) => {
    expect(() => parseSubmitArgs(argv)).toThrow(message);
  });
});

describe("hive-planner submit", () => {
  it("enqueues the request, prints it as JSON and exits 0", async () => {
    const { code, stdout } = await processes.run([
      "submit",
      "--db",
      temp.path,
      "--description",
      "Build a dashboard",
      "--priority",
      "5",
      "--requestor",
      "ops",
      "--context",
      '{"components":["ui"]}',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(stdout);
    expect(await getPlanningRequest(temp.db, printed.id)).toMatchObject({
      status: "pending",
      taskDescription: "Build a dashboard",
      priority: 5,
      requestor: "ops",
      contextData: { components: ["ui"] },
    });
  });

  it("exits 2 with a clear message on invalid input, without creating or touching the database", async () => {
    const fresh = join(temp.dir, "never-created.db");
    const cases: [string[], RegExp][] = [
      [["--description", "  "], /--description: must not be empty/],
      [["--description", "x", "--context", "not json"], /--context: not JSON/],
      [["--description", "x", "--priority", "soon"], /--priority: must be an integer/],
      [["--description", "x", "--colour", "red"], /Unknown option '--colour'/],
    ];
    for (const [args, message] of cases) {
      const { code, stdout, stderr } = await processes.run(["submit", "--db", fresh, ...args]);
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe("");
    }
    expect(existsSync(fresh)).toBe(false);
    const existing = await processes.run(["submit", "--db", temp.path, "--description", ""]);
    expect(existing.code).toBe(2);
    expect(await listPlanningRequests(temp.db)).toEqual([]);
  });
});
