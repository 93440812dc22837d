import {
  type ClaimPlanningRequestsInput,
  ClaimPlanningRequestsInputSchema,
  type ExecutionPlan,
  JsonObjectSchema,
  KeyArgSchema,
  PlanEstimatedDurationSchema,
  type PlanningRequest,
  type PlanningStatus,
  PlanningStatusSchema,
  type SubmitPlanningRequestInput,
  SubmitPlanningRequestInputSchema,
  text,
} from "@hive/models";
import { z } from "zod";
import { newId, now } from "./clock.ts";
import { InvalidTransitionError, PlanningRequestNotFoundError } from "./errors.ts";
import type { Db, TxState } from "./handle.ts";
import { insertPlan, insertSubtasks, startPlan, validatePlanData } from "./plans.ts";
import { type PlanningRowRaw, planningFromRow, toJson } from "./rows.ts";
import { withRead, withTx } from "./tx.ts";
import { parseInput } from "./validate.ts";

/** Enqueues a planning request (validated: non-empty description, context a JSON object within size). */
export async function submitPlanningRequest(
  db: Db,
  input: SubmitPlanningRequestInput,
): Promise<PlanningRequest> {
  const r = parseInput(SubmitPlanningRequestInputSchema, input, "planning request");
  return withTx(db, async (tx) => {
    const id = r.id ?? newId();
    // An explicit id already taken is the caller's mistake, not a driver's UNIQUE error.
    if (r.id !== undefined && (await tx.ex.get("SELECT 1 AS x FROM planning_queue WHERE id = ?", [id])))
      throw new InvalidTransitionError(
        "planning request",
        id,
        "existing",
        "created",
        "a planning request with this id already exists",
      );
    const row = await tx.ex.get<PlanningRowRaw>(
      `INSERT INTO planning_queue (id, task_description, priority, requestor, context_data, status, complexity_estimate, created_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING *`,
      [
        id,
        r.taskDescription,
        r.priority,
        r.requestor ?? null,
        toJson(r.contextData),
        r.complexityEstimate ?? null,
        now(),
      ],
    );
    tx.events.push({ type: "planning.submitted", requestId: id });
    return planningFromRow(row!);
  });
}

/** The request, or null. */
export async function getPlanningRequest(db: Db, requestId: string): Promise<PlanningRequest | null> {
  const id = parseInput(KeyArgSchema, requestId, "request id");
  return withRead(db, async (ex) => {
    const row = await ex.get<PlanningRowRaw>("SELECT * FROM planning_queue WHERE id = ?", [id]);
    return row ? planningFromRow(row) : null;
  });
}

/** Requests, newest first (those of one millisecond by id, time-ordered), optionally in one status. */
export async function listPlanningRequests(
  db: Db,
  options: { status?: PlanningStatus; limit?: number } = {},
): Promise<PlanningRequest[]> {
  const o = parseInput(
    z.strictObject({
      status: PlanningStatusSchema.optional(),
      limit: z.number().int().min(1).max(10_000).default(100),
    }),
    options,
    "listPlanningRequests options",
  );
  return withRead(db, async (ex) =>
    (o.status
      ? await ex.all<PlanningRowRaw>(
          "SELECT * FROM planning_queue WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
          [o.status, o.limit],
        )
      : await ex.all<PlanningRowRaw>(
          "SELECT * FROM planning_queue ORDER BY created_at DESC, id DESC LIMIT ?",
          [o.limit],
        )
    ).map(planningFromRow),
  );
}

/**
 * Atomically assigns pending requests (highest priority, then oldest) to a planner agent; also
 * takes back requests assigned longer ago than `staleAfterMs` (their planner died). Two
 * planners never get the same request. A stale request already claimed `maxAttempts` times
 * (default 5) is not handed out again: it is failed in the same transaction (a
 * `planning.failed` event each), since a request that every planner dies on would otherwise
 * take the planners down one after another forever. Returns the claimed requests only.
 */
export async function claimPlanningRequests(
  db: Db,
  input: ClaimPlanningRequestsInput,
): Promise<PlanningRequest[]> {
  const q = parseInput(ClaimPlanningRequestsInputSchema, input, "claimPlanningRequests input");
  return withTx(db, async (tx) => {
    const ts = now();
    const staleBefore = ts - q.staleAfterMs;
    const skipLocked = tx.ex.dialect === "postgres" ? " FOR UPDATE SKIP LOCKED" : "";
    // The outer conditions repeat the inner ones (as the reaper's do): on PostgreSQL a request
    // another transaction claimed or finished meanwhile is re-checked on its new version.
    const exhausted = await tx.ex.all<PlanningRowRaw>(
      `UPDATE planning_queue SET status = 'failed', completed_at = ?,
         error_message = 'its planner stopped answering ' || CAST(attempts AS TEXT) || ?
       WHERE id IN (
         SELECT id FROM planning_queue
         WHERE status = 'assigned' AND assigned_at < ? AND attempts >= ?${skipLocked})
         AND status = 'assigned' AND assigned_at < ? AND attempts >= ?
       RETURNING *`,
      [
        ts,
        ` times (maxAttempts ${q.maxAttempts}): not handed out again, as the request itself may be what stops its planners`,
        staleBefore,
        q.maxAttempts,
        staleBefore,
        q.maxAttempts,
      ],
    );
    for (const r of exhausted)
      tx.events.push({ type: "planning.failed", requestId: r.id, error: r.error_message ?? "" });
    const rows = await tx.ex.all<PlanningRowRaw>(
      `UPDATE planning_queue SET status = 'assigned', assigned_agent = ?, assigned_at = ?, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM planning_queue
         WHERE status = 'pending' OR (status = 'assigned' AND assigned_at < ? AND attempts < ?)
         ORDER BY priority DESC NULLS LAST, created_at ASC LIMIT ?${skipLocked})
       RETURNING *`,
      [q.agentId, ts, staleBefore, q.maxAttempts, q.limit],
    );
    rows.sort(
      (a, b) => Number(b.priority) - Number(a.priority) || Number(a.created_at) - Number(b.created_at),
    );
    return rows.map(planningFromRow);
  });
}

/**
 * The request, when it is assigned to this agent; else InvalidTransitionError naming `to`, the
 * state the refused call would have moved it to (each caller passes its own: a refused release
 * that said "→ completed" sent operators looking for the wrong call).
 */
async function assignedTo(
  tx: TxState,
  requestId: string,
  agentId: string,
  to: "completed" | "failed" | "pending",
): Promise<PlanningRowRaw> {
  // Locked on PostgreSQL, and so read as the last commit left it: read unlocked, a planner whose
  // request was taken back (claimPlanningRequests) and completed meanwhile still saw it as its
  // own, and stored and started a second plan for it. SQLite's writers are serialized.
  const row = await tx.ex.get<PlanningRowRaw>(
    `SELECT * FROM planning_queue WHERE id = ?${tx.ex.dialect === "postgres" ? " FOR UPDATE" : ""}`,
    [requestId],
  );
  if (!row) throw new PlanningRequestNotFoundError(requestId);
  if (row.status !== "assigned" || row.assigned_agent !== agentId)
    throw new InvalidTransitionError(
      "planning request",
      requestId,
      row.status,
      to,
      row.status !== "assigned"
        ? `only an assigned request can be ${to === "pending" ? "released" : to}; this one is ${row.status}`
        : `it is assigned to "${row.assigned_agent}", not to "${agentId}"`,
    );
  return row;
}

const CompletePlanningSchema = z.strictObject({
  requestId: KeyArgSchema,
  agentId: KeyArgSchema,
  planData: z.unknown(),
  estimatedDuration: PlanEstimatedDurationSchema.nullish(),
  estimatedComplexity: text().max(50).nullish(),
  generatedWorkflow: JsonObjectSchema.nullish(),
});
export type CompletePlanningRequestInput = z.input<typeof CompletePlanningSchema>;

/**
 * A planner's result, stored all at once or not at all: the plan (validated whole first), its
 * subtasks and edges, the plan marked executing, the request completed. Only the agent the
 * request is assigned to may complete it.
 */
export async function completePlanningRequest(
  db: Db,
  input: CompletePlanningRequestInput,
): Promise<{ plan: ExecutionPlan; subtaskCount: number }> {
  const c = parseInput(CompletePlanningSchema, input, "completePlanningRequest input");
  const planData = validatePlanData(c.planData);
  return withTx(db, async (tx) => {
    await assignedTo(tx, c.requestId, c.agentId, "completed");
    const created = await insertPlan(
      tx,
      {
        planningTaskId: c.requestId,
        planData,
        estimatedDuration: c.estimatedDuration ?? null,
        estimatedComplexity: c.estimatedComplexity ?? null,
        generatedWorkflow: c.generatedWorkflow ?? null,
        status: "approved",
      },
      planData,
    );
    const subtaskCount = await insertSubtasks(tx, created.id, planData);
    const plan = await startPlan(tx, created.id);
    await tx.ex.run(
      "UPDATE planning_queue SET status = 'completed', completed_at = ?, complexity_estimate = COALESCE(complexity_estimate, ?), error_message = NULL WHERE id = ?",
      [now(), c.estimatedComplexity ?? null, c.requestId],
    );
    tx.events.push({ type: "planning.completed", requestId: c.requestId, planId: plan.id });
    return { plan, subtaskCount };
  });
}

/** Marks an assigned request failed with the reason (an invalid plan, say). */
export async function failPlanningRequest(
  db: Db,
  input: { requestId: string; agentId: string; error: string },
): Promise<PlanningRequest> {
  const f = parseInput(
    z.strictObject({
      requestId: KeyArgSchema,
      agentId: KeyArgSchema,
      error: text().min(1).max(100_000),
    }),
    input,
    "failPlanningRequest input",
  );
  return withTx(db, async (tx) => {
    await assignedTo(tx, f.requestId, f.agentId, "failed");
    const row = await tx.ex.get<PlanningRowRaw>(
      "UPDATE planning_queue SET status = 'failed', completed_at = ?, error_message = ? WHERE id = ? RETURNING *",
      [now(), f.error, f.requestId],
    );
    tx.events.push({ type: "planning.failed", requestId: f.requestId, error: f.error });
    return planningFromRow(row!);
  });
}

/** Gives an assigned request back to the queue (a planner shutting down before finishing it). */
export async function releasePlanningRequest(
  db: Db,
  input: { requestId: string; agentId: string },
): Promise<PlanningRequest> {
  const f = parseInput(
    z.strictObject({ requestId: KeyArgSchema, agentId: KeyArgSchema }),
    input,
    "releasePlanningRequest input",
  );
  return withTx(db, async (tx) => {
    await assignedTo(tx, f.requestId, f.agentId, "pending");
    const row = await tx.ex.get<PlanningRowRaw>(
      "UPDATE planning_queue SET status = 'pending', assigned_agent = NULL, assigned_at = NULL WHERE id = ? RETURNING *",
      [f.requestId],
    );
    return planningFromRow(row!);
  });
}
