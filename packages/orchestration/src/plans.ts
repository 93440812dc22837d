import {
  type CreateExecutionPlanInput,
  CreateExecutionPlanInputSchema,
  checkPlanGraph,
  type ExecutionPlan,
  IdSchema,
  KeyArgSchema,
  type PlanData,
  PlanDataSchema,
  type PlanExecution,
  type PlanStatus,
  PlanStatusSchema,
  type Task,
} from "@hive/models";
import { z } from "zod";
import { clearCurrentTasks } from "./claims.ts";
import { newId, now } from "./clock.ts";
import { blockDescendants } from "./dependencies.ts";
import {
  InvalidTransitionError,
  PlanNotFoundError,
  PlanningRequestNotFoundError,
  PlanValidationError,
} from "./errors.ts";
import type { Db, TxState } from "./handle.ts";
import { insertPlanTasks, subtaskTaskId, takenTaskIds } from "./planInsert.ts";
import { planStatusSql, settlePlanStatus } from "./progress.ts";
import { type PlanRowRaw, planFromRow, type TaskRowRaw, taskFromRow, toJson } from "./rows.ts";
import { chunk, jsonIds, placeholders } from "./sql.ts";
import { rootOf, withRead, withTx } from "./tx.ts";
import { MESSAGE_ISSUES_MAX, parseInput } from "./validate.ts";

const IdArg = KeyArgSchema;

/**
 * Validates plan data whole: schema (names the field), unique ids, dependencies that exist, no
 * self-edge, no cycle (names the cycle). Throws PlanValidationError; returns the parsed plan.
 */
export function validatePlanData(planData: unknown): PlanData {
  const parsed = PlanDataSchema.safeParse(planData);
  if (!parsed.success) {
    // Once each: a string field breaking the text rule was named twice, by its own schema and by
    // the walk over the whole plan (PlanDataSchema's check of every string, fields it names too).
    const messages = new Set(
      parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(plan)"}: ${i.message}`),
    );
    const issues = [...messages].map((message) => ({ code: "schema", message }));
    throw new PlanValidationError(invalidPlanMessage(issues), issues);
  }
  const graph = checkPlanGraph(parsed.data);
  if (graph.length > 0) throw new PlanValidationError(invalidPlanMessage(graph), graph);
  return parsed.data;
}

/**
 * Names the first MESSAGE_ISSUES_MAX problems and counts the rest, as parseInput does: a plan
 * of 100k subtasks each missing its title made a message of megabytes (every one named), too
 * long for the planning request's error (failPlanningRequest takes 100,000 characters).
 * The error's `issues` list them all.
 */
function invalidPlanMessage(issues: readonly { message: string }[]): string {
  const named = issues.slice(0, MESSAGE_ISSUES_MAX).map((i) => i.message);
  const more = issues.length - named.length;
  return `invalid plan: ${named.join("; ")}${more > 0 ? `; and ${more} more (see the error's issues)` : ""}`;
}

export { subtaskTaskId } from "./planInsert.ts";

/**
 * Refuses a plan one of whose subtasks would get the id of a task that exists already (a plain
 * task created with a caller-given id like `q:a`). Checked when the plan is stored, so the
 * caller hears of it while they can still rename, and again when its tasks are created, since a
 * task may have taken the id in between: without the second check the driver's UNIQUE error
 * would refuse the plan's tasks for ever, naming neither the subtask nor the task.
 */
async function refuseTakenTaskIds(tx: TxState, planId: string, planData: PlanData): Promise<void> {
  const taken = await takenTaskIds(tx.ex, planId, planData.sub_tasks);
  if (taken.length === 0) return;
  const issues = taken.map(([subtaskId, taskId]) => ({
    code: "task_id_taken",
    message: `subtask "${subtaskId}" of plan "${planId}" would be task "${taskId}", which exists already outside the plan; rename the subtask, give the plan another id, or delete that task`,
    ids: [subtaskId, taskId],
  }));
  throw new PlanValidationError(`invalid plan: ${issues.map((i) => i.message).join("; ")}`, issues);
}

/** @internal */
export async function insertPlan(
  tx: TxState,
  p: z.output<typeof CreateExecutionPlanInputSchema>,
  planData: PlanData,
): Promise<ExecutionPlan> {
  const request = await tx.ex.get("SELECT 1 AS x FROM planning_queue WHERE id = ?", [p.planningTaskId]);
  if (!request) throw new PlanningRequestNotFoundError(p.planningTaskId);
  if (p.id !== undefined && (await tx.ex.get("SELECT 1 AS x FROM execution_plans WHERE id = ?", [p.id])))
    throw new InvalidTransitionError(
      "plan",
      p.id,
      "existing",
      "created",
      "a plan with this id already exists",
    );
  const id = p.id ?? newId();
  await refuseTakenTaskIds(tx, id, planData);
  const plan: ExecutionPlan = {
    id,
    planningTaskId: p.planningTaskId,
    planData,
    estimatedDuration: p.estimatedDuration == null ? null : Math.round(p.estimatedDuration),
    estimatedComplexity: p.estimatedComplexity ?? null,
    generatedWorkflow: p.generatedWorkflow ?? null,
    subtaskCount: planData.sub_tasks.length,
    dependencyCount: planData.sub_tasks.reduce((n, s) => n + s.dependencies.length, 0),
    generatedAt: now(),
    status: p.status,
  };
  // No RETURNING *: the row holds the whole plan (tens of megabytes at 100k nodes), and the plan
  // returned is the validated one just written, so reading it back and validating it again (as
  // planFromRow does) only doubled the cost of creating a plan.
  await tx.ex.run(
    `INSERT INTO execution_plans (id, planning_task_id, plan_data, estimated_duration, estimated_complexity,
       generated_workflow, subtask_count, dependency_count, generated_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      plan.id,
      plan.planningTaskId,
      JSON.stringify(planData),
      plan.estimatedDuration,
      plan.estimatedComplexity,
      toJson(plan.generatedWorkflow),
      plan.subtaskCount,
      plan.dependencyCount,
      plan.generatedAt,
      plan.status,
    ],
  );
  tx.events.push({ type: "plan.created", planId: plan.id, subtaskCount: plan.subtaskCount });
  return plan;
}

/**
 * A caller-given plan id. A plan's task ids are `<planId>:<subtaskId>` and subtask ids may hold
 * ':' (plan "p" subtask "x:y" and plan "p:x" subtask "y" were both task "p:x:y", and the second
 * plan's tasks could never be created). Without ':' in plan ids, a task id's plan is what comes
 * before its first ':', so two plans' task ids never meet. Refused rather than escaped: task ids
 * stay the readable `<planId>:<subtaskId>` that callers and the CLI already use.
 */
const PlanIdSchema = IdSchema.refine(
  (id) => !id.includes(":"),
  "must not contain ':' (it separates the plan id from the subtask id in the plan's task ids)",
);
const CreatePlanArgs = CreateExecutionPlanInputSchema.extend({
  id: PlanIdSchema.optional(),
  planData: z.unknown(),
});

/** Stores an execution plan (validated whole first; nothing written when invalid). */
export async function createExecutionPlan(db: Db, input: CreateExecutionPlanInput): Promise<ExecutionPlan> {
  const p = parseInput(CreatePlanArgs, input, "createExecutionPlan input");
  const planData = validatePlanData(p.planData);
  return withTx(db, (tx) => insertPlan(tx, { ...p, planData }, planData));
}

/**
 * Appended to a plan's read before a status transition that depends on what it read
 * (startPlan, cancelPlan, insertSubtasks). On PostgreSQL the row is locked, and read as the
 * last commit left it, until the transaction ends: unlocked, two starts both read "draft" and
 * both ungated the plan's tasks (a task with one unfinished dependency became claimable), and a
 * start waiting for a cancellation made the cancelled plan executing. NO KEY: the plan's task
 * inserts (their foreign key's KEY SHARE) are not held back. SQLite's writers are serialized.
 */
const LOCK_PLAN = " FOR NO KEY UPDATE";
const lockPlan = (tx: TxState) => (tx.ex.dialect === "postgres" ? LOCK_PLAN : "");

/**
 * The plan data as createExecutionPlan stored it. Trusted, not validated again: only this
 * library writes plan_data, always from a plan that passed validatePlanData (schema and graph),
 * and nothing updates it afterwards.
 */
async function storedPlanData(tx: TxState, planId: string): Promise<PlanData> {
  const row = await tx.ex.get<{ plan_data: string }>("SELECT plan_data FROM execution_plans WHERE id = ?", [
    planId,
  ]);
  if (!row) throw new PlanNotFoundError(planId);
  return JSON.parse(row.plan_data) as PlanData;
}

/**
 * @internal Creates the plan's tasks and edges; 0 when they exist already. `planData`, when the
 * caller has it (it just stored the plan), saves reading the stored plan back.
 */
export async function insertSubtasks(tx: TxState, planId: string, planData?: PlanData): Promise<number> {
  // Locked: a start committing meanwhile would otherwise find no task to ungate, and this
  // would then write every task gated (the plan executing, its tasks blocked for ever).
  const plan = await tx.ex.get<{ status: PlanStatus }>(`${planStatusSql(tx.ex.dialect)}${lockPlan(tx)}`, [
    planId,
  ]);
  if (!plan) throw new PlanNotFoundError(planId);
  // Its progress row, not its tasks: the row is written with the tasks and stays when they are
  // deleted (deleteTask), so a plan whose tasks were all deleted does not get them again (the
  // row's INSERT below failed on its unique plan_id with the driver's raw error).
  const existing = await tx.ex.get("SELECT 1 AS x FROM plan_execution WHERE plan_id = ?", [planId]);
  if (existing) return 0;
  // Its tasks would wait for a start that cannot come (only draft or approved plans start).
  if (plan.status === "cancelled")
    throw new InvalidTransitionError("plan", planId, plan.status, "tasks created", "the plan was cancelled");
  const data = planData ?? (await storedPlanData(tx, planId));
  await refuseTakenTaskIds(tx, planId, data);
  const subTasks = data.sub_tasks;
  // Until the plan starts executing, every task carries one extra pending "gate" that
  // markPlanExecutionStarted removes, so a draft plan's tasks are never claimed.
  const gate = plan.status === "executing" ? 0 : 1;
  const ts = now();
  await insertPlanTasks(tx.ex, planId, subTasks, { gate, ts });
  await tx.ex.run(
    `INSERT INTO plan_execution (id, plan_id, current_phase, progress_percent, total_subtasks, started_at, updated_at)
     VALUES (?, ?, ?, 0, ?, ?, ?)`,
    [newId(), planId, subTasks[0]?.workflow_phase ?? null, subTasks.length, gate ? null : ts, ts],
  );
  await tx.ex.run("UPDATE execution_plans SET version = version + 1 WHERE id = ?", [planId]);
  tx.touchedPlans.add(planId);
  // A plan started before its tasks were created: those without dependencies are queued now, and
  // say so as startPlan's release does. Unannounced, no worker was woken (locally, nor on
  // PostgreSQL by NOTIFY, which only a commit that leaves work sends) until its next poll.
  if (gate === 0)
    for (const st of subTasks)
      if (st.dependencies.length === 0)
        tx.events.push({ type: "task.queued", taskId: subtaskTaskId(planId, st.id) });
  return subTasks.length;
}

/**
 * Creates one task per subtask and one edge per dependency, all in one transaction. Idempotent:
 * a second call creates nothing and returns 0 (also once some or all of the tasks were deleted:
 * deleteTask removes a task of the plan for good). Tasks of a plan that is not executing yet wait
 * (blocked) until markPlanExecutionStarted.
 */
export async function createPlannedSubtasksFromPlan(db: Db, planId: string): Promise<number> {
  const id = parseInput(IdArg, planId, "plan id");
  return withTx(db, (tx) => insertSubtasks(tx, id));
}

/** @internal */
export async function startPlan(tx: TxState, planId: string): Promise<ExecutionPlan> {
  const plan = await tx.ex.get<PlanRowRaw>(`SELECT * FROM execution_plans WHERE id = ?${lockPlan(tx)}`, [
    planId,
  ]);
  if (!plan) throw new PlanNotFoundError(planId);
  if (plan.status !== "draft" && plan.status !== "approved")
    throw new InvalidTransitionError(
      "plan",
      planId,
      plan.status,
      "executing",
      "only draft or approved plans can start",
    );
  const ts = now();
  const row = await tx.ex.get<PlanRowRaw>(
    "UPDATE execution_plans SET status = 'executing', version = version + 1 WHERE id = ? RETURNING *",
    [planId],
  );
  const released = await tx.ex.all<{ id: string; status: string }>(
    `UPDATE tasks SET pending_deps = pending_deps - 1,
       status = CASE WHEN pending_deps = 1 THEN 'queued' ELSE status END, updated_at = ?
     WHERE plan_id = ? AND status = 'blocked' AND pending_deps > 0 RETURNING id, status`,
    [ts, planId],
  );
  const counters = await tx.ex.get<{
    total_subtasks: number;
    completed_subtasks: number;
    failed_subtasks: number;
    blocked_subtasks: number;
  }>(
    `UPDATE plan_execution SET started_at = ?, updated_at = ? WHERE plan_id = ?
     RETURNING total_subtasks, completed_subtasks, failed_subtasks, blocked_subtasks`,
    [ts, ts, planId],
  );
  for (const r of released) if (r.status === "queued") tx.events.push({ type: "task.queued", taskId: r.id });
  tx.events.push({ type: "plan.started", planId });
  tx.touchedPlans.add(planId);
  // A task failed or cancelled before the start: the plan cannot complete, so it is failed now.
  // Every task deleted before the start: nothing can run, so it is cancelled now.
  if (
    counters &&
    (Number(counters.failed_subtasks) + Number(counters.blocked_subtasks) > 0 ||
      Number(counters.total_subtasks) === 0)
  ) {
    const first = await tx.ex.get<{ id: string }>(
      "SELECT id FROM tasks WHERE plan_id = ? AND status IN ('failed','cancelled') ORDER BY updated_at LIMIT 1",
      [planId],
    );
    await settlePlanStatus(tx, planId, "executing", counters, first?.id ?? "", ts);
    return planFromRow(
      (await tx.ex.get<PlanRowRaw>("SELECT * FROM execution_plans WHERE id = ?", [planId]))!,
    );
  }
  return planFromRow(row!);
}

/** Starts a draft or approved plan: its ready subtasks become claimable. Else InvalidTransitionError. */
export async function markPlanExecutionStarted(db: Db, planId: string): Promise<ExecutionPlan> {
  const id = parseInput(IdArg, planId, "plan id");
  return withTx(db, (tx) => startPlan(tx, id));
}

/** The plan, or null. */
export async function getExecutionPlan(db: Db, planId: string): Promise<ExecutionPlan | null> {
  const id = parseInput(IdArg, planId, "plan id");
  return withRead(db, async (ex) => {
    const row = await ex.get<PlanRowRaw>("SELECT * FROM execution_plans WHERE id = ?", [id]);
    return row ? planFromRow(row) : null;
  });
}

/** Plans, newest first (those of one millisecond by id, time-ordered), optionally in one status. */
export async function listExecutionPlans(
  db: Db,
  options: { status?: PlanStatus; limit?: number } = {},
): Promise<ExecutionPlan[]> {
  const o = parseInput(
    z.strictObject({
      status: PlanStatusSchema.optional(),
      limit: z.number().int().min(1).max(10_000).default(100),
    }),
    options,
    "listExecutionPlans options",
  );
  return withRead(db, async (ex) =>
    (o.status
      ? await ex.all<PlanRowRaw>(
          "SELECT * FROM execution_plans WHERE status = ? ORDER BY generated_at DESC, id DESC LIMIT ?",
          [o.status, o.limit],
        )
      : await ex.all<PlanRowRaw>(
          "SELECT * FROM execution_plans ORDER BY generated_at DESC, id DESC LIMIT ?",
          [o.limit],
        )
    ).map(planFromRow),
  );
}

/** The plan's status, or null when there is no such plan. */
export async function getExecutionPlanStatus(db: Db, planId: string): Promise<PlanStatus | null> {
  const id = parseInput(IdArg, planId, "plan id");
  return withRead(db, async (ex) => {
    const row = await ex.get<{ status: PlanStatus }>(planStatusSql(ex.dialect), [id]);
    return row ? row.status : null;
  });
}

/**
 * Cached getExecutionPlanStatus. An entry is dropped by every change of that plan made through
 * this handle, and is not trusted once another connection has committed anything (SQLite's
 * data_version), so it never serves a stale status; a hit reads no table.
 */
export async function getExecutionPlanStatusCached(db: Db, planId: string): Promise<PlanStatus | null> {
  const id = parseInput(IdArg, planId, "plan id");
  const root = rootOf(db);
  if (db !== root) return getExecutionPlanStatus(db, id);
  const counter = await root._backend.changeCounter();
  const hit = root._planStatusCache.get(id);
  if (hit && counter !== null && hit.counter === counter) return hit.status as PlanStatus;
  const status = await getExecutionPlanStatus(db, id);
  if (status !== null) root._planStatusCache.set(id, { status, counter });
  return status;
}

/** True when every dependency of the task completed; null for an unknown task. */
export async function checkSubtaskDependencies(db: Db, taskId: string): Promise<boolean | null> {
  const r = await checkSubtaskDependenciesBatch(db, [taskId]);
  return r[taskId] ?? null;
}

/** For each known task id: are all its dependencies completed? One query per 500 ids. */
export async function checkSubtaskDependenciesBatch(
  db: Db,
  taskIds: readonly string[],
): Promise<Record<string, boolean>> {
  const ids = [...new Set(parseInput(z.array(IdArg).max(100_000), taskIds, "task ids"))];
  return withRead(db, async (ex) => {
    const out: Record<string, boolean> = {};
    for (const part of chunk(ids))
      for (const r of await ex.all<{ id: string; unmet: number }>(
        `SELECT t.id, (SELECT count(*) FROM task_dependencies d JOIN tasks u ON u.id = d.depends_on_id
           WHERE d.task_id = t.id AND u.status <> 'completed') AS unmet
         FROM tasks t WHERE t.id IN ${placeholders(part.length)}`,
        part,
      ))
        out[r.id] = Number(r.unmet) === 0;
    return out;
  });
}

/** The plan's next claimable subtask in claim order, or null. Does not claim it. */
export async function getNextPlannedSubtask(db: Db, planId: string): Promise<Task | null> {
  const id = parseInput(IdArg, planId, "plan id");
  return withRead(db, async (ex) => {
    const row = await ex.get<TaskRowRaw>(
      `SELECT * FROM tasks WHERE plan_id = ? AND status = 'queued' AND run_at <= ?
       ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT 1`,
      [id, now()],
    );
    return row ? taskFromRow(row) : null;
  });
}

/** Progress of a plan: counters kept in step with its tasks, lists derived from the tasks. */
export async function getPlanExecution(db: Db, planId: string): Promise<PlanExecution | null> {
  const id = parseInput(IdArg, planId, "plan id");
  return withRead(db, async (ex) => {
    const pe = await ex.get<{
      id: string;
      plan_id: string;
      current_phase: string | null;
      progress_percent: number;
      total_subtasks: number;
      execution_notes: string | null;
      started_at: number | null;
      updated_at: number;
      completed_at: number | null;
    }>("SELECT * FROM plan_execution WHERE plan_id = ?", [id]);
    if (!pe) return null;
    const lists = {
      active: [] as string[],
      completed: [] as string[],
      failed: [] as string[],
      blocked: [] as string[],
    };
    for (const t of await ex.all<{ subtask_id: string; status: string }>(
      "SELECT subtask_id, status FROM tasks WHERE plan_id = ? AND status IN ('in_progress','completed','failed','upstream_failed','cancelled') ORDER BY subtask_id",
      [id],
    )) {
      const key =
        t.status === "in_progress"
          ? "active"
          : t.status === "completed"
            ? "completed"
            : t.status === "failed"
              ? "failed"
              : "blocked";
      lists[key].push(t.subtask_id);
    }
    const n = (v: number | null) => (v === null ? null : Number(v));
    return {
      id: pe.id,
      planId: pe.plan_id,
      currentPhase: pe.current_phase,
      // Floored: a SQLite row written before progress.ts cast its operand may hold 33.33….
      progressPercent: Math.floor(Number(pe.progress_percent)),
      totalSubtasks: Number(pe.total_subtasks),
      activeSubtasks: lists.active,
      completedSubtasks: lists.completed,
      failedSubtasks: lists.failed,
      blockedSubtasks: lists.blocked,
      executionNotes: pe.execution_notes,
      startedAt: n(pe.started_at),
      updatedAt: Number(pe.updated_at),
      completedAt: n(pe.completed_at),
    };
  });
}

const CancelPlanArgsSchema = z.strictObject({
  /** Kept as each cancelled task's last_error and in plan.cancelled: text, as cancelTask's. */
  reason: KeyArgSchema.max(100_000, "must be at most 100000 characters"),
});

/** Cancels every unfinished task of a plan and marks the plan cancelled. */
export async function cancelPlan(db: Db, planId: string, reason = "plan cancelled"): Promise<ExecutionPlan> {
  const id = parseInput(IdArg, planId, "plan id");
  // Unchecked, a NUL was the driver's raw error on PostgreSQL (stored on SQLite), and an object
  // SQLite's "Too few parameter values".
  parseInput(CancelPlanArgsSchema, { reason }, "cancelPlan arguments");
  return withTx(db, async (tx) => {
    const plan = await tx.ex.get<PlanRowRaw>(`SELECT * FROM execution_plans WHERE id = ?${lockPlan(tx)}`, [
      id,
    ]);
    if (!plan) throw new PlanNotFoundError(id);
    if (plan.status === "completed" || plan.status === "cancelled")
      throw new InvalidTransitionError("plan", id, plan.status, "cancelled");
    await tx.ex.run("UPDATE execution_plans SET status = 'cancelled', version = version + 1 WHERE id = ?", [
      id,
    ]);
    const ts = now();
    const rows = await tx.ex.all<{ id: string }>(
      `UPDATE tasks SET status = 'cancelled', cancel_requested = CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END,
         last_error = ?, updated_at = ?, lease_expires_at = NULL
       WHERE plan_id = ? AND status IN ('blocked','queued','in_progress') RETURNING id`,
      [reason, ts, id],
    );
    await tx.ex.run(
      `UPDATE runs SET status = 'cancelled', completed_at = ?, error_message = ?
       WHERE status = 'running' AND task_id IN (SELECT id FROM tasks WHERE plan_id = ?)`,
      [ts, reason, id],
    );
    const counts = await tx.ex.get<{ active: number; blocked: number }>(
      `SELECT sum(CASE WHEN status = 'in_progress' THEN 1 ELSE 0 END) AS active,
              sum(CASE WHEN status IN ('cancelled','upstream_failed') THEN 1 ELSE 0 END) AS blocked
       FROM tasks WHERE plan_id = ?`,
      [id],
    );
    await tx.ex.run(
      "UPDATE plan_execution SET active_subtasks = ?, blocked_subtasks = ?, completed_at = ?, updated_at = ? WHERE plan_id = ?",
      [Number(counts?.active ?? 0), Number(counts?.blocked ?? 0), ts, ts, id],
    );
    // The worker running one of them no longer does (as cancelTask leaves it).
    await clearCurrentTasks(
      tx,
      rows.map((r) => r.id),
    );
    for (const r of rows) tx.events.push({ type: "task.cancelled", taskId: r.id, planId: id });
    tx.events.push({ type: "plan.cancelled", planId: id, reason });
    // Tasks outside the plan that wait on the tasks just cancelled fail as cancelTask makes them
    // (the plan's own are all cancelled above); left alone they would stay blocked for ever.
    if (rows.length > 0)
      for (const r of await tx.ex.all<{ id: string }>(
        `SELECT DISTINCT d.depends_on_id AS id FROM task_dependencies d JOIN tasks x ON x.id = d.task_id
         WHERE d.depends_on_id IN (SELECT id FROM ${jsonIds(tx.ex.dialect)})
           AND (x.plan_id IS NULL OR x.plan_id <> ?)`,
        [JSON.stringify(rows.map((r) => r.id)), id],
      ))
        await blockDescendants(tx, r.id, `dependency ${r.id} was cancelled: ${reason}`);
    tx.touchedPlans.add(id);
    return planFromRow((await tx.ex.get<PlanRowRaw>("SELECT * FROM execution_plans WHERE id = ?", [id]))!);
  });
}

/**
 * The newest plan made for a planning request, or null. Plans made in one millisecond are told
 * apart by id (time-ordered; see clock.ts), as listTasks does: without, SQLite often returned
 * the older of two plans made back to back.
 */
export async function getExecutionPlanForRequest(db: Db, requestId: string): Promise<ExecutionPlan | null> {
  const id = parseInput(IdArg, requestId, "request id");
  return withRead(db, async (ex) => {
    const row = await ex.get<PlanRowRaw>(
      "SELECT * FROM execution_plans WHERE planning_task_id = ? ORDER BY generated_at DESC, id DESC LIMIT 1",
      [id],
    );
    return row ? planFromRow(row) : null;
  });
}
