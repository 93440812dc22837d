// The dashboard page. It renders only through DOM APIs (createElement, append of strings,
// textContent, setAttribute with fixed attribute names): no text from the database is ever
// parsed as HTML, so a task title or an output log cannot inject markup or script. The server's
// Content-Security-Policy allows no inline script either.

const SVG_NS = "http://www.w3.org/2000/svg";
const STATES = [
  "blocked",
  "queued",
  "in_progress",
  "completed",
  "failed",
  "cancelled",
  "upstream_failed",
  "missing",
];
const RETRYABLE = new Set(["failed", "cancelled", "upstream_failed", "completed"]);
const CANCELLABLE = new Set(["blocked", "queued", "in_progress"]);
const TOKEN_KEY = "hive-dashboard-token";

const $ = (id) => document.getElementById(id);
const knownState = (s) => (STATES.includes(s) ? s : "missing");

/** The token arrives once in the URL fragment (never sent to the server), then lives in this tab. */
function takeToken() {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

const params = new URLSearchParams(location.search);
const state = {
  token: takeToken(),
  refreshMs: 1000,
  planId: params.get("plan"),
  taskId: params.get("task"),
  filter: "",
  now: Date.now(),
  graphKey: null,
  runsShown: null,
  refreshing: null,
};

/** An element with attributes (fixed names chosen here, values set as plain attribute text) and text children. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs))
    if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
  e.append(...children.map((c) => (c instanceof Node ? c : String(c ?? ""))));
  return e;
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function ago(ts) {
  if (ts === null || ts === undefined) return "-";
  const d = state.now - ts;
  const s = Math.round(Math.abs(d) / 1000);
  const t =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86400
          ? `${Math.floor(s / 3600)}h`
          : `${Math.floor(s / 86400)}d`;
  return d >= 0 ? `${t} ago` : `in ${t}`;
}

const short = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
/** Keeps both ends of an id: a plan task's id ends in its subtask id. */
const middle = (text, n) => (text.length > n ? `${text.slice(0, 8)}…${text.slice(-(n - 9))}` : text);

async function api(path, init = {}) {
  const headers = { Accept: "application/json" };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const res = await fetch(path, { ...init, headers, cache: "no-store", credentials: "omit" });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(body.error || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function remember() {
  const q = new URLSearchParams();
  if (state.planId) q.set("plan", state.planId);
  if (state.taskId) q.set("task", state.taskId);
  const s = q.toString();
  history.replaceState(null, "", location.pathname + (s ? `?${s}` : ""));
}

function selectPlan(id) {
  if (state.planId === id) return;
  state.planId = id;
  state.graphKey = null;
  remember();
  void refresh();
}

function selectTask(id) {
  state.taskId = id;
  state.runsShown = null;
  $("action-result").textContent = "";
  remember();
  void refresh();
}

function notice(text) {
  const n = $("notice");
  n.textContent = text ?? "";
  n.hidden = !text;
}

// ---- header ---------------------------------------------------------------------------------

function renderCounts(status) {
  const chips = Object.entries(status.tasks).map(([s, n]) =>
    el("span", { class: `chip state-${knownState(s)}`, "data-count": s }, `${s.replace("_", " ")} ${n}`),
  );
  $("counts").replaceChildren(...chips);
}

// ---- plans ----------------------------------------------------------------------------------

function renderPlans(plans) {
  if (plans.length === 0) {
    $("plans").replaceChildren(el("li", { class: "muted" }, "No plans yet."));
    return;
  }
  const items = plans.map((p) => {
    const button = el(
      "button",
      { type: "button", class: p.id === state.planId ? "plan selected" : "plan", "data-plan": p.id },
      el("span", { class: "plan-name" }, short(p.description ?? p.id, 80)),
      el("span", { class: `badge plan-${p.status}` }, p.status),
      el("progress", { max: 100, value: Math.round(p.progressPercent) }),
      el(
        "span",
        { class: "muted" },
        `${p.completed}/${p.total} done · ${p.active} running · ${ago(p.generatedAt)}`,
      ),
    );
    button.addEventListener("click", () => selectPlan(p.id));
    return el("li", {}, button);
  });
  $("plans").replaceChildren(...items);
}

function renderPlan(view) {
  $("plan-title").textContent = `Plan ${view.id}`;
  $("plan-meta").replaceChildren(
    el("span", { class: `badge plan-${view.status}`, id: "plan-status" }, view.status),
    ` ${view.description ?? ""}`,
  );
  const bar = $("plan-progress");
  bar.hidden = false;
  bar.replaceChildren(
    el("progress", { max: 100, value: Math.round(view.progressPercent), id: "plan-progress-bar" }),
    el(
      "span",
      { class: "muted" },
      ` ${Math.round(view.progressPercent)}% · ${view.completed}/${view.total} completed · ${view.active} running · ${view.failed} failed`,
    ),
  );
  if (view.dag) renderDag(view);
  else {
    state.graphKey = null;
    $("dag").replaceChildren(
      el(
        "p",
        { class: "muted too-large" },
        `This plan has ${view.total} subtasks, more than the ${view.drawLimit} the page draws. ` +
          "Use `hive plans show` or `hive plans export` for its DAG.",
      ),
    );
    $("legend").replaceChildren();
  }
}

/** Builds the SVG when the graph changes; otherwise only updates node states (no flicker). */
function renderDag(view) {
  const { layout, dag } = view;
  const key = `${view.id}|${layout.width}x${layout.height}|${dag.nodes.map((n) => n.id).join("\u0000")}`;
  if (key !== state.graphKey) {
    state.graphKey = key;
    const root = svg("svg", {
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      width: layout.width,
      height: layout.height,
      role: "img",
      "aria-label": `DAG of plan ${view.id}`,
    });
    const marker = svg("marker", {
      id: "arrow",
      viewBox: "0 0 10 10",
      refX: 10,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: "auto-start-reverse",
    });
    marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow" }));
    const defs = svg("defs");
    defs.append(marker);
    root.append(defs);
    for (const e of layout.edges) {
      const dx = Math.max(20, (e.x2 - e.x1) / 2);
      root.append(
        svg("path", {
          d: `M ${e.x1} ${e.y1} C ${e.x1 + dx} ${e.y1}, ${e.x2 - dx} ${e.y2}, ${e.x2} ${e.y2}`,
          class: "edge",
          "data-from": e.from,
          "data-to": e.to,
          "marker-end": "url(#arrow)",
        }),
      );
    }
    const pos = new Map(layout.nodes.map((p) => [p.id, p]));
    for (const n of dag.nodes) {
      const p = pos.get(n.id);
      const g = svg("g", {
        transform: `translate(${p.x} ${p.y})`,
        "data-node": n.id,
        tabindex: 0,
        role: "button",
      });
      const title = svg("title");
      title.textContent = `${n.id}: ${n.title}`;
      const name = svg("text", { x: 10, y: 19, class: "node-title" });
      name.textContent = short(n.title, 24);
      const sub = svg("text", { x: 10, y: 37, class: "node-sub" });
      g.append(title, svg("rect", { width: layout.nodeWidth, height: layout.nodeHeight, rx: 8 }), name, sub);
      const open = () => n.taskId && selectTask(n.taskId);
      g.addEventListener("click", open);
      g.addEventListener("keydown", (ev) => ev.key === "Enter" && open());
      root.append(g);
    }
    $("dag").replaceChildren(root);
    $("legend").replaceChildren(
      ...STATES.map((s) => el("span", { class: `chip state-${s}` }, s.replace("_", " "))),
    );
  }
  const byId = new Map(dag.nodes.map((n) => [n.id, n]));
  for (const g of $("dag").querySelectorAll("g[data-node]")) {
    const n = byId.get(g.getAttribute("data-node"));
    if (!n) continue;
    const s = knownState(n.state);
    g.setAttribute("data-state", s);
    g.setAttribute("data-task", n.taskId ?? "");
    g.setAttribute("class", `node state-${s}${n.taskId && n.taskId === state.taskId ? " selected" : ""}`);
    g.querySelector(".node-sub").textContent =
      `${short(n.id, 14)} · ${s.replace("_", " ")}${n.attempts > 1 ? ` · try ${n.attempts}` : ""}`;
  }
  for (const path of $("dag").querySelectorAll("path.edge")) {
    const from = byId.get(path.getAttribute("data-from"));
    path.setAttribute("class", from?.state === "completed" ? "edge done" : "edge");
  }
}

function clearPlan() {
  state.graphKey = null;
  $("plan-title").textContent = "Plan";
  $("plan-meta").replaceChildren(el("span", { class: "muted" }, "No plan selected."));
  $("plan-progress").hidden = true;
  $("dag").replaceChildren();
  $("legend").replaceChildren();
}

// ---- tasks ----------------------------------------------------------------------------------

function renderTasks(tasks) {
  const head = el(
    "tr",
    {},
    ...["id", "state", "type", "title", "attempts", "worker", "updated"].map((h) => el("th", {}, h)),
  );
  const rows = tasks.map((t) => {
    const tr = el(
      "tr",
      { "data-task": t.id, tabindex: 0, class: t.id === state.taskId ? "selected" : undefined },
      el("td", { class: "mono", title: t.id }, middle(t.id, 30)),
      el("td", {}, el("span", { class: `chip state-${knownState(t.status)}` }, t.status)),
      el("td", {}, t.taskType),
      el("td", {}, short(t.title, 80)),
      el("td", {}, t.attempts),
      el("td", { class: "mono" }, t.assignedWorker ?? "-"),
      el("td", {}, ago(t.updatedAt)),
    );
    tr.addEventListener("click", () => selectTask(t.id));
    tr.addEventListener("keydown", (ev) => ev.key === "Enter" && selectTask(t.id));
    return tr;
  });
  $("tasks").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

function renderTask(view) {
  const t = view.task;
  $("task-empty").hidden = true;
  $("task-detail").hidden = false;
  const pairs = [
    ["id", t.id],
    ["title", t.title],
    ["state", el("span", { class: `chip state-${knownState(t.status)}`, id: "task-state" }, t.status)],
    ["type", t.taskType],
    ["plan", t.planId ? `${t.planId} (subtask ${t.subtaskId})` : "-"],
    ["attempts", `${t.attempts} (max retries ${t.maxRetries})`],
    ["worker", t.assignedWorker ?? "-"],
    ["lease expires", ago(t.leaseExpiresAt)],
    ["updated", ago(t.updatedAt)],
    ["depends on", view.dependencies.map((d) => `${d.id} (${d.status ?? "missing"})`).join(", ") || "-"],
    ["last error", t.lastError ?? "-"],
    ["result", t.result === null ? "-" : JSON.stringify(t.result)],
  ];
  $("task-fields").replaceChildren(...pairs.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("retry").disabled = !RETRYABLE.has(t.status);
  $("cancel").disabled = !CANCELLABLE.has(t.status);
  // Logs are redrawn only when they change, so reading or selecting in them is not interrupted.
  const runsKey = JSON.stringify(view.runs);
  if (runsKey === state.runsShown) return;
  state.runsShown = runsKey;
  const runs = [...view.runs]
    .reverse()
    .map((r) =>
      el(
        "div",
        { class: "run", "data-run": r.runNumber },
        el(
          "div",
          { class: "run-head" },
          el("strong", {}, `Run ${r.runNumber}`),
          " ",
          el("span", { class: `chip run-${r.status}` }, r.status),
          ` ${r.workerId ?? "-"} · started ${ago(r.startedAt)}`,
          r.completedAt ? ` · took ${((r.completedAt - r.startedAt) / 1000).toFixed(1)}s` : "",
        ),
        r.errorMessage ? el("div", { class: "error" }, r.errorMessage) : "",
        el("pre", { class: "log" }, r.outputLog ?? "(no output)"),
      ),
    );
  $("runs").replaceChildren(...(runs.length ? runs : [el("p", { class: "muted" }, "No runs yet.")]));
}

function clearTask() {
  $("task-empty").hidden = false;
  $("task-detail").hidden = true;
}

async function act(kind) {
  const id = state.taskId;
  if (!id) return;
  const out = $("action-result");
  out.textContent = "…";
  try {
    const t = await api(`/api/tasks/${encodeURIComponent(id)}/${kind}`, { method: "POST", body: "{}" });
    out.textContent = `${kind === "retry" ? "requeued" : "cancelled"}: now ${t.status}`;
  } catch (err) {
    out.textContent =
      err.status === 401
        ? `refused: ${err.message} (open the URL printed by \`hive dashboard\`)`
        : `refused: ${err.message}`;
  }
  await refresh();
}

// ---- workers --------------------------------------------------------------------------------

function renderWorkers(workers) {
  const head = el("tr", {}, ...["worker", "status", "running", "seen"].map((h) => el("th", {}, h)));
  const rows = workers.map((w) =>
    el(
      "tr",
      { "data-worker": w.id, title: `capabilities: ${w.capabilities.join(", ") || "none"}` },
      el("td", {}, el("div", { class: "mono" }, w.id), el("div", { class: "muted" }, w.role)),
      el("td", {}, el("span", { class: `chip worker-${w.status}` }, w.status)),
      el(
        "td",
        { class: "mono running", title: w.runningTasks.join("\n") },
        w.runningTasks.length === 0
          ? "-"
          : `${middle(w.runningTasks[0], 24)}${w.runningTasks.length > 1 ? ` +${w.runningTasks.length - 1}` : ""}`,
      ),
      el("td", {}, ago(w.lastHeartbeat)),
    ),
  );
  $("workers").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

// ---- refresh loop ---------------------------------------------------------------------------

async function refreshOnce() {
  const filter = state.filter ? `&status=${encodeURIComponent(state.filter)}` : "";
  const [status, plans, tasks] = await Promise.all([
    api("/api/status"),
    api("/api/plans?limit=50"),
    api(`/api/tasks?limit=100${filter}`),
  ]);
  state.now = status.now;
  renderCounts(status);
  if (!state.planId && plans.length > 0) state.planId = plans[0].id;
  renderPlans(plans);
  renderTasks(tasks);
  renderWorkers(status.workers);
  const [plan, task] = await Promise.all([
    state.planId ? api(`/api/plans/${encodeURIComponent(state.planId)}`).catch(missing) : null,
    state.taskId ? api(`/api/tasks/${encodeURIComponent(state.taskId)}`).catch(missing) : null,
  ]);
  if (plan) renderPlan(plan);
  else clearPlan();
  if (task) renderTask(task);
  else clearTask();
  document.body.setAttribute("data-refreshed", String(Date.now()));
}

/** A selected plan or task that is gone is shown as nothing; other errors propagate. */
function missing(err) {
  if (err.status === 404) return null;
  throw err;
}

/** One refresh at a time; a call during a refresh waits for it and runs once more. */
function refresh() {
  state.refreshing = (state.refreshing ?? Promise.resolve()).then(async () => {
    try {
      await refreshOnce();
      $("connection").textContent = `live · every ${state.refreshMs / 1000}s`;
      $("connection").className = "connection ok";
      notice(null);
    } catch (err) {
      $("connection").textContent = "disconnected";
      $("connection").className = "connection down";
      notice(
        err.status === 401
          ? "This dashboard needs its token: open the URL printed by `hive dashboard` (it ends in #token=…)."
          : `Cannot refresh: ${err.message}`,
      );
    }
  });
  return state.refreshing;
}

async function loop() {
  await refresh();
  setTimeout(loop, state.refreshMs);
}

async function start() {
  $("retry").addEventListener("click", () => act("retry"));
  $("cancel").addEventListener("click", () => act("cancel"));
  $("task-filter").addEventListener("change", (ev) => {
    state.filter = ev.target.value;
    void refresh();
  });
  try {
    state.refreshMs = (await api("/api/meta")).refreshMs;
  } catch {
    // Keep the default period; the loop reports what is wrong.
  }
  await loop();
}

void start();
