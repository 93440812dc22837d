// End-to-end: the real `hive dashboard` process on a temp database, driven by a real headless
// Chromium (Debian's `chromium` package) through playwright-core. The test changes the database
// the way workers do (another process, from the dashboard's point of view) and watches the page.
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { completeTask, createTask, failTask, getTask } from "@hive/orchestration";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { backendArgs, type TempDatabase, tempDatabase } from "../testing/backend.ts";
import { liveChildren, type RunningHive, startHive } from "../testing/hive.ts";
import { claimOne, completeOne, DIAMOND, seedPlan } from "../testing/seed.ts";

/** Debian's package (`apt-get install -y chromium`); HIVE_CHROMIUM overrides the path. */
const CHROMIUM = process.env.HIVE_CHROMIUM ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const WAIT = { timeout: 60_000 };

let browser: Browser;
let temp: TempDatabase;
let dash: RunningHive;
let base: string;
let token: string;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's package with \`apt-get install -y chromium\``,
    );
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  temp = await tempDatabase();
  pageErrors.length = 0;
  dash = startHive([...backendArgs(temp), "dashboard", "--port", "0", "--refresh-ms", "250"]);
  [, base = "", token = ""] = await dash.waitFor(/open (http:\/\/127\.0\.0\.1:\d+\/)#token=([\w-]+)/);
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
  page = await context.newPage();
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("dialog", (d) => {
    pageErrors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
});
afterEach(async () => {
  await page.context().close();
  expect(await dash.stop()).toBe(0);
  await temp.cleanup();
  expect(liveChildren()).toEqual([]);
  expect(pageErrors).toEqual([]);
});

const node = (id: string, state: string) => `#dag g[data-node="${id}"][data-state="${state}"]`;
const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

describe("the dashboard in Chromium", () => {
  it("shows a running plan and redraws its DAG when a task completes", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    const design = await claimOne(temp.db, "builder-1", "design");

    await page.goto(`${base}#token=${token}`);
    await page.waitForSelector(node("design", "in_progress"), WAIT);
    for (const [id, state] of [
      ["api", "blocked"],
      ["ui", "blocked"],
      ["ship", "blocked"],
    ])
      expect(await page.$(node(id!, state!))).not.toBeNull();
    expect(await page.textContent("#plan-status")).toBe("executing");
    expect(await page.textContent(`#plans [data-plan="${planId}"]`)).toContain(
      "Build and ship the landing page",
    );
    expect(await page.getAttribute('#workers [data-worker="builder-1"] td.running', "title")).toBe(
      `${planId}:design`,
    );
    expect(page.url()).not.toContain(token); // the token left the address bar
    await shot("dashboard-running-plan");

    await completeTask(temp.db, { taskId: design.task.id, token: design.token, outputLog: "designed\n" });
    await page.waitForSelector(node("design", "completed"), WAIT);
    await page.waitForSelector(node("api", "queued"), WAIT);
    await page.waitForSelector(node("ui", "queued"), WAIT);
    expect(await page.$(node("ship", "blocked"))).not.toBeNull();
    expect(await page.getAttribute("#plan-progress-bar", "value")).toBe("25");
    await shot("dashboard-task-completed");
  });

  it("retries a failed task from the page: the node and its dependent come back", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "builder-1", "design");
    const ui = await claimOne(temp.db, "builder-1", "ui");
    await failTask(temp.db, {
      taskId: ui.task.id,
      token: ui.token,
      error: "npm install failed",
      outputLog: "npm install\nERR! network\n",
    });

    await page.goto(`${base}#token=${token}`);
    await page.waitForSelector(node("ui", "failed"), WAIT);
    await page.waitForSelector(node("ship", "upstream_failed"), WAIT);
    await page.click('#dag g[data-node="ui"]');
    await page.waitForSelector('#task-state:text("failed")', WAIT);
    expect(await page.textContent("#runs")).toContain("ERR! network");
    expect(await page.textContent("#runs")).toContain("npm install failed");
    expect(await page.isDisabled("#cancel")).toBe(true);
    await shot("dashboard-failed-task");

    await page.click("#retry");
    await page.waitForSelector(node("ui", "queued"), WAIT);
    await page.waitForSelector(node("ship", "blocked"), WAIT);
    expect(await page.textContent("#action-result")).toBe("requeued: now queued");
    expect(await getTask(temp.db, `${planId}:ui`)).toMatchObject({ status: "queued", attempts: 0 });
    await shot("dashboard-task-retried");
  });

  it("without the token the page shows data but its retry is refused and changes nothing", async () => {
    const { planId } = await seedPlan(temp.db, DIAMOND);
    await completeOne(temp.db, "builder-1", "design");
    const ui = await claimOne(temp.db, "builder-1", "ui");
    await failTask(temp.db, { taskId: ui.task.id, token: ui.token, error: "boom", retryable: false });

    await page.goto(`${base}?task=${encodeURIComponent(`${planId}:ui`)}`);
    await page.waitForSelector('#task-state:text("failed")', WAIT);
    await page.click("#retry");
    await page.waitForSelector('#action-result:text("refused")', WAIT);
    expect(await page.textContent("#action-result")).toContain("token is required");
    expect((await getTask(temp.db, `${planId}:ui`))!.status).toBe("failed");
    await shot("dashboard-retry-refused");
  });

  it("renders titles and logs holding markup as text and runs none of it", async () => {
    const xss = `<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>`;
    const t = await createTask(temp.db, { title: xss, taskType: "evil" });
    const c = await claimOne(temp.db, "builder-1", "evil");
    await completeTask(temp.db, { taskId: t.id, token: c.token, outputLog: `${xss}\n<b>bold?</b>\n` });

    await page.goto(`${base}?task=${encodeURIComponent(t.id)}#token=${token}`);
    await page.waitForSelector('#task-state:text("completed")', WAIT);
    await page.waitForSelector(`#tasks tr[data-task="${t.id}"]`, WAIT);
    expect(await page.textContent("#task-fields")).toContain(xss);
    expect(await page.textContent(`#tasks tr[data-task="${t.id}"]`)).toContain("<img src=x");
    expect(await page.textContent("#runs .log")).toBe(`${xss}\n<b>bold?</b>\n`);
    // Give an injected handler every chance to run, then check that none did.
    await page.waitForTimeout(1000);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.$$("main img, main script, main b")).toEqual([]);
    await shot("dashboard-markup-as-text");
  });
});
