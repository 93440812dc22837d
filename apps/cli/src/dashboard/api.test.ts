import { createServer } from "node:net";
import type { Task } from "@hive/models";
import { createTask, getTask } from "@hive/orchestration";
import type { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ExitCode } from "../exitCodes.ts";
import { backendArgs, type TempDatabase, tempDatabase } from "../testing/backend.ts";
import { liveChildren, runHive, startHive } from "../testing/hive.ts";
import { claimOne, completeOne, DIAMOND, failOne, seedPlan } from "../testing/seed.ts";
import type { PlanGraphView } from "../views/plans.ts";
import type { StatusView } from "../views/status.ts";
import type { TaskView } from "../views/tasks.ts";
import { createDashboardApp } from "./app.ts";

const TOKEN = "test-token-0123456789abcdef";
const HOST = "127.0.0.1:7878";
const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;

let temp: TempDatabase;
let app: Hono;
const errors: unknown[] = [];

/** A request as a browser on this machine sends it (Host always set); `token` adds the bearer. */
function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (!headers.has("host")) headers.set("host", HOST);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  return app.request(path, { ...init, headers });
}
const post = (path: string, body: unknown, init: RequestInit & { token?: string } = {}) =>
  call(path, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });

beforeEach(async () => {
  temp = await tempDatabase();
  errors.length = 0;
  app = createDashboardApp({
    db: temp.db,
    token: TOKEN,
    loopback: true,
    refreshMs: 1000,
    onError: (e) => errors.push(e),
  });
});
afterEach(async () => {
  await temp.cleanup();
  expect(errors).toEqual([]);
  expect(liveChildren()).toEqual([]);
});

describe("the page", () => {
  it("is fixed markup under a strict Content-Security-Policy, with no data in it", async () => {
    await createTask(temp.db, { title: XSS, taskType: "x" });
    const res = await call("/");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const html = await res.text();
    expect(html).not.toContain("window.__xss");
    expect(html).not.toMatch(/<script>|<style>|\son\w+=/);
    const js = await call("/assets/app.js");
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(await js.text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
  });
});

describe("the JSON API", () => {
  it("serves status, plans with their DAG layout, tasks with runs and logs, and workers", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "w1", "design", "step 1\nstep 2\n");
    await claimOne(temp.db, "w2", "api");

    const status = (await (await call("/api/status")).json()) as StatusView;
    expect(status.tasks).toMatchObject({ completed: 1, in_progress: 1, queued: 1, blocked: 1 });
    expect(status.workers.map((w) => w.id).sort()).toEqual(["w1", "w2"]);

    const plans = (await (await call("/api/plans")).json()) as { id: string; progressPercent: number }[];
    expect(plans).toEqual([expect.objectContaining({ id: planId, progressPercent: 25 })]);

    const plan = (await (await call(`/api/plans/${encodeURIComponent(planId)}`)).json()) as PlanGraphView;
    expect(plan.dag!.nodes.map((n) => [n.id, n.state])).toEqual([
      ["design", "completed"],
      ["api", "in_progress"],
      ["ui", "queued"],
      ["ship", "blocked"],
    ]);
    expect(plan.layout!.nodes).toHaveLength(4);
    expect(plan.layout!.edges).toHaveLength(4);

    const tasks = (await (
      await call(`/api/tasks?plan=${encodeURIComponent(planId)}&status=queued`)
    ).json()) as Task[];
    expect(tasks.map((t) => t.subtaskId)).toEqual(["ui"]);

    const design = (await (
      await call(`/api/tasks/${encodeURIComponent(`${planId}:design`)}`)
    ).json()) as TaskView;
    expect(design.runs).toEqual([
      expect.objectContaining({ status: "completed", outputLog: "step 1\nstep 2\n" }),
    ]);

    const workers = (await (await call("/api/workers?status=active")).json()) as { id: string }[];
    expect(workers).toHaveLength(2);
    expect((await call("/api/plans/nope")).status).toBe(404);
    expect((await call("/api/tasks/nope")).status).toBe(404);
    expect(await (await call("/api/nothing-here")).json()).toEqual({ error: "no such endpoint" });
  });

  it("sends a plan past the draw limit without its DAG, only its progress", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    app = createDashboardApp({ db: temp.db, token: TOKEN, loopback: true, refreshMs: 1000, drawLimit: 3 });
    const plan = (await (await call(`/api/plans/${encodeURIComponent(planId)}`)).json()) as PlanGraphView;
    expect(plan).toMatchObject({ id: planId, total: 4, dag: null, layout: null, drawLimit: 3 });
  });

  it("returns a task title holding markup as JSON text, never as HTML", async () => {
    const t = await createTask(temp.db, { title: XSS, taskType: "x" });
    const res = await call(`/api/tasks/${t.id}`);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(((await res.json()) as TaskView).task.title).toBe(XSS);
  });

  it("refuses retry and cancel without the token, with a wrong one or from another origin, changing nothing", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "w1", "design");
    await failOne(temp.db, "w1", "ui");
    const ui = `/api/tasks/${encodeURIComponent(`${planId}:ui`)}`;
    const api = `/api/tasks/${encodeURIComponent(`${planId}:api`)}`;

    const refused = [
      await post(`${ui}/retry`, {}),
      await post(`${api}/cancel`, {}),
      await post(`${ui}/retry`, {}, { token: "wrong-token-0123456789abcdef" }),
      await post(`${ui}/retry`, {}, { headers: { authorization: TOKEN } }),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(refused[0]!.headers.get("www-authenticate")).toContain("Bearer");
    expect(await refused[0]!.json()).toEqual({ error: expect.stringContaining("token is required") });

    const crossOrigin = await post(
      `${ui}/retry`,
      {},
      { token: TOKEN, headers: { origin: "http://evil.example" } },
    );
    expect(crossOrigin.status).toBe(403);

    expect((await getTask(temp.db, `${planId}:ui`))!.status).toBe("failed");
    expect((await getTask(temp.db, `${planId}:api`))!.status).toBe("queued");
  });

  it("retries and cancels with the token; an illegal transition is 409 and an unknown task 404", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "w1", "design");
    await failOne(temp.db, "w1", "ui");
    const ui = `/api/tasks/${encodeURIComponent(`${planId}:ui`)}`;
    const api = `/api/tasks/${encodeURIComponent(`${planId}:api`)}`;

    const retried = await post(`${ui}/retry`, {}, { token: TOKEN, headers: { origin: `http://${HOST}` } });
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as Task).status).toBe("queued");
    expect((await getTask(temp.db, `${planId}:ship`))!.status).toBe("blocked");

    const cancelled = await post(`${api}/cancel`, { reason: "changed my mind" }, { token: TOKEN });
    expect(cancelled.status).toBe(200);
    expect(await getTask(temp.db, `${planId}:api`)).toMatchObject({
      status: "cancelled",
      lastError: "changed my mind",
    });

    const again = await post(`${api}/cancel`, {}, { token: TOKEN });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({
      error: expect.stringContaining("cannot go from cancelled to cancelled"),
    });
    expect((await post("/api/tasks/nope/retry", {}, { token: TOKEN })).status).toBe(404);
  });

  it("validates input with zod before touching the database: 400 naming the field", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "w1", "design");
    await failOne(temp.db, "w1", "ui");
    const ui = `/api/tasks/${encodeURIComponent(`${planId}:ui`)}`;

    const badQuery = await call("/api/tasks?status=pending");
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({ issues: [expect.objectContaining({ path: "status" })] });
    expect((await call("/api/tasks?limit=100000")).status).toBe(400);
    for (const q of ["offset=", "limit=%20", "limit=1e2", "offset=0x10"]) {
      const res = await call(`/api/tasks?${q}`);
      expect(res.status, q).toBe(400);
      expect(await res.json()).toMatchObject({ issues: [{ message: "must be an integer" }] });
    }
    expect((await call("/api/tasks?sql=1")).status).toBe(400);
    const twice = await call("/api/tasks?status=queued&status=failed");
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({
      issues: [{ path: "status", message: "given more than once" }],
    });
    expect((await call("/api/plans?limit=1&limit=2")).status).toBe(400);
    expect((await call("/api/workers?status=active&status=offline")).status).toBe(400);
    expect((await call("/api/workers?status=zombie")).status).toBe(400);

    const unknownKey = await post(`${ui}/retry`, { resetAttempts: true, dropTable: 1 }, { token: TOKEN });
    expect(unknownKey.status).toBe(400);
    const wrongType = await post(`${ui}/retry`, { delayMs: "soon" }, { token: TOKEN });
    expect(await wrongType.json()).toMatchObject({ issues: [expect.objectContaining({ path: "delayMs" })] });
    expect((await post(`${ui}/retry`, "{not json", { token: TOKEN })).status).toBe(400);
    expect((await post(`${ui}/retry`, [1, 2], { token: TOKEN })).status).toBe(400);
    const notJson = await call(`${ui}/retry`, { method: "POST", body: "a=1", token: TOKEN });
    expect(notJson.status).toBe(400);
    const huge = await post(`${ui}/cancel`, { reason: "x".repeat(100_000) }, { token: TOKEN });
    expect(huge.status).toBe(413);

    expect((await getTask(temp.db, `${planId}:ui`))!.status).toBe("failed");
  });

  it("answers only to loopback Host names on a loopback bind (no DNS rebinding)", async () => {
    const rebound = await call("/api/status", { headers: { host: "evil.example:7878" } });
    expect(rebound.status).toBe(403);
    for (const host of ["localhost:7878", "[::1]:7878", "127.0.0.1"])
      expect((await call("/api/status", { headers: { host } })).status).toBe(200);
  });

  it("requires the token for every API call when bound off loopback", async () => {
    app = createDashboardApp({ db: temp.db, token: TOKEN, loopback: false, refreshMs: 1000 });
    const lan = { headers: { host: "10.0.0.5:7878" } };
    expect((await call("/api/status", lan)).status).toBe(401);
    expect((await call("/api/plans", lan)).status).toBe(401);
    expect((await call("/api/status", { ...lan, token: TOKEN })).status).toBe(200);
    // The page itself holds no data; it asks for the token before showing anything.
    expect((await call("/", lan)).status).toBe(200);
  });
});

describe("hive dashboard (the process)", () => {
  it("binds loopback, prints a token URL, serves the API and stops on SIGTERM with exit 0", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    const dash = startHive([...backendArgs(temp), "dashboard", "--port", "0"]);
    const [, base, token] = await dash.waitFor(/open (http:\/\/127\.0\.0\.1:\d+\/)#token=([\w-]+)/);
    const status = await fetch(`${base}api/status`);
    expect(status.status).toBe(200);
    const retry = `${base}api/tasks/${encodeURIComponent(`${planId}:design`)}/cancel`;
    expect((await fetch(retry, { method: "POST" })).status).toBe(401);
    const ok = await fetch(retry, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await getTask(temp.db, `${planId}:design`))!.status).toBe("cancelled");
    expect(await dash.stop()).toBe(0);
  });

  it("names a port that is taken in one line and exits 2, no stack trace", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await runHive([...backendArgs(temp), "dashboard", "--port", String(port)]);
      expect(r.code).toBe(ExitCode.usage);
      expect(r.stderr.trim()).toBe(
        `UsageError: cannot listen on 127.0.0.1:${port}: the address is in use (EADDRINUSE); choose another --port or --host`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("refuses to bind off loopback without a token (exit 2)", async () => {
    const r = await runHive([...backendArgs(temp), "dashboard", "--host", "0.0.0.0", "--port", "0"]);
    expect(r.code).toBe(ExitCode.usage);
    expect(r.stderr).toContain("give a token with --token");
  });
});
