import { readFileSync } from "node:fs";
import {
  cancelTask,
  type Database,
  HiveError,
  InvalidTransitionError,
  listTasks,
  NotFoundError,
  PlanValidationError,
  requeueTask,
  ValidationError,
} from "@hive/orchestration";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { type ZodType, z } from "zod";
import { loadPlanGraph, loadPlanSummaries } from "../views/plans.ts";
import { loadStatus } from "../views/status.ts";
import { loadTaskView } from "../views/tasks.ts";
import { loadWorkers } from "../views/workers.ts";
import { guard } from "./auth.ts";
import {
  CancelBodySchema,
  IdParamSchema,
  PlanListQuerySchema,
  RetryBodySchema,
  TaskListQuerySchema,
  WorkerListQuerySchema,
} from "./schemas.ts";
import { securityHeaders } from "./security.ts";

export interface DashboardAppOptions {
  db: Database;
  /** Required for actions, and for every API call when not bound to loopback. */
  token: string;
  /** Bound to a loopback address. */
  loopback: boolean;
  /** How often the page refreshes, in ms. */
  refreshMs: number;
  /** Plans with more subtasks are shown without their DAG (default DRAW_LIMIT, 2000). */
  drawLimit?: number;
  /** Where unexpected errors are reported (default stderr). */
  onError?: (err: unknown) => void;
}

/** The page and its two files: fixed text, no data in them (the page fetches the API). */
const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
const PAGE = asset("index.html");
const SCRIPT = asset("app.js");
const STYLE = asset("app.css");

/** A request that failed validation: 400 with the issues. */
class BadRequest extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

function parse<T>(schema: ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new BadRequest(
      `invalid ${what}`,
      r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  return r.data;
}

/**
 * The query string, one value per key. A key given twice (`?status=queued&status=failed`) is
 * refused: read as its first value, the answer looked like one for both.
 */
function singleQuery(c: Context): Record<string, string> {
  const twice = Object.entries(c.req.queries()).filter(([, values]) => values.length > 1);
  if (twice.length > 0)
    throw new BadRequest(
      "invalid query",
      twice.map(([path]) => ({ path, message: "given more than once" })),
    );
  return c.req.query();
}

/** The JSON body of an action: empty means {}; anything but a JSON object is refused. */
async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (!/^application\/json\b/i.test(c.req.header("content-type") ?? ""))
    throw new BadRequest("the body must be JSON (Content-Type: application/json)");
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("the body is not valid JSON");
  }
}

/**
 * The dashboard: the page at `/`, its script and style under `/assets/`, and the JSON API under
 * `/api/` (reads; POST actions retry and cancel). Every input is validated with zod; errors are
 * JSON with a status that says what happened (400, 401, 403, 404, 409).
 */
export function createDashboardApp(o: DashboardAppOptions): Hono {
  const app = new Hono();
  const db = o.db;
  const report = o.onError ?? ((err: unknown) => console.error(err));
  app.use("*", securityHeaders);
  app.use("*", guard({ token: o.token, loopback: o.loopback }));
  app.use(
    "/api/*",
    bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.json({ error: "body too large" }, 413) }),
  );

  app.get("/", (c) => c.html(PAGE));
  app.get("/assets/app.js", (c) => c.body(SCRIPT, 200, { "Content-Type": "text/javascript; charset=utf-8" }));
  app.get("/assets/app.css", (c) => c.body(STYLE, 200, { "Content-Type": "text/css; charset=utf-8" }));

  app.get("/api/meta", (c) =>
    c.json({ refreshMs: o.refreshMs, readsNeedToken: !o.loopback, backend: db.kind }),
  );
  app.get("/api/status", async (c) => c.json(await loadStatus(db)));
  app.get("/api/plans", async (c) => {
    const q = parse(PlanListQuerySchema, singleQuery(c), "query");
    return c.json(await loadPlanSummaries(db, q));
  });
  app.get("/api/plans/:id", async (c) => {
    const id = parse(IdParamSchema, c.req.param("id"), "plan id");
    const plan = await loadPlanGraph(db, id, o.drawLimit);
    return plan ? c.json(plan) : c.json({ error: `plan "${id}" does not exist` }, 404);
  });
  app.get("/api/tasks", async (c) => {
    const q = parse(TaskListQuerySchema, singleQuery(c), "query");
    return c.json(
      await listTasks(db, {
        status: q.status,
        taskType: q.type,
        planId: q.plan,
        limit: q.limit,
        offset: q.offset,
      }),
    );
  });
  app.get("/api/tasks/:id", async (c) => {
    const id = parse(IdParamSchema, c.req.param("id"), "task id");
    const view = await loadTaskView(db, id);
    return view ? c.json(view) : c.json({ error: `task "${id}" does not exist` }, 404);
  });
  app.get("/api/workers", async (c) => {
    const q = parse(WorkerListQuerySchema, singleQuery(c), "query");
    return c.json(await loadWorkers(db, q.status));
  });
  app.post("/api/tasks/:id/retry", async (c) => {
    const id = parse(IdParamSchema, c.req.param("id"), "task id");
    const body = parse(RetryBodySchema, await jsonBody(c), "body");
    return c.json(await requeueTask(db, id, body));
  });
  app.post("/api/tasks/:id/cancel", async (c) => {
    const id = parse(IdParamSchema, c.req.param("id"), "task id");
    const body = parse(CancelBodySchema, await jsonBody(c), "body");
    return c.json(await cancelTask(db, id, body.reason));
  });
  app.all("/api/*", (c) => c.json({ error: "no such endpoint" }, 404));

  app.onError((err, c) => {
    if (err instanceof BadRequest) return c.json({ error: err.message, issues: err.issues }, 400);
    if (err instanceof ValidationError) return c.json({ error: err.message, issues: err.issues }, 400);
    if (err instanceof PlanValidationError) return c.json({ error: err.message }, 400);
    if (err instanceof NotFoundError) return c.json({ error: err.message }, 404);
    if (err instanceof InvalidTransitionError) return c.json({ error: err.message }, 409);
    if (err instanceof z.ZodError) return c.json({ error: "invalid input" }, 400);
    report(err);
    return c.json({ error: err instanceof HiveError ? err.message : "internal error" }, 500);
  });
  app.notFound((c) => c.json({ error: "not found" }, 404));
  return app;
}
