import {
  KeyArgSchema,
  type RegisterWorkerInput,
  RegisterWorkerInputSchema,
  type UpdateWorkerHeartbeatInput,
  UpdateWorkerHeartbeatInputSchema,
  type Worker,
  WorkerStatusSchema,
} from "@hive/models";
import type { z } from "zod";
import { now } from "./clock.ts";
import { TaskNotFoundError } from "./errors.ts";
import type { Db } from "./handle.ts";
import { toJson, type WorkerRowRaw, workerFromRow } from "./rows.ts";
import { withRead, withTx } from "./tx.ts";
import { parseInput } from "./validate.ts";

/** Registers a worker, or refreshes it (role, capabilities, metadata, active) when it exists. */
export async function registerWorker(db: Db, input: RegisterWorkerInput): Promise<Worker> {
  const w = parseInput(RegisterWorkerInputSchema, input, "registerWorker input");
  return withTx(db, async (tx) => {
    const ts = now();
    const row = await tx.ex.get<WorkerRowRaw>(
      `INSERT INTO workers (id, role, status, last_heartbeat, capabilities, metadata, registered_at)
       VALUES (?, ?, 'active', ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET role = excluded.role, status = 'active', last_heartbeat = excluded.last_heartbeat,
         capabilities = excluded.capabilities, metadata = excluded.metadata
       RETURNING *`,
      [w.workerId, w.role, ts, JSON.stringify(w.capabilities), toJson(w.metadata), ts],
    );
    tx.events.push({ type: "worker.registered", workerId: w.workerId, role: w.role });
    return workerFromRow(row!);
  });
}

/** Records a heartbeat (and optionally a status or current task). False when not registered. */
export async function updateWorkerHeartbeat(
  db: Db,
  input: UpdateWorkerHeartbeatInput | string,
): Promise<boolean> {
  const h = parseInput(
    UpdateWorkerHeartbeatInputSchema,
    typeof input === "string" ? { workerId: input } : input,
    "updateWorkerHeartbeat input",
  );
  return withTx(db, async (tx) => {
    // The column is a foreign key: a task that does not exist was the driver's constraint error.
    if (h.currentTaskId && !(await tx.ex.get("SELECT 1 AS x FROM tasks WHERE id = ?", [h.currentTaskId])))
      throw new TaskNotFoundError(h.currentTaskId);
    const r = await tx.ex.run(
      `UPDATE workers SET last_heartbeat = ?, status = COALESCE(?, CASE WHEN status = 'offline' THEN 'active' ELSE status END),
         current_task_id = CASE WHEN ? = 1 THEN ? ELSE current_task_id END WHERE id = ?`,
      [now(), h.status ?? null, h.currentTaskId !== undefined ? 1 : 0, h.currentTaskId ?? null, h.workerId],
    );
    return r.changes > 0;
  });
}

/** Active workers (optionally of one role), most recent heartbeat first. */
export async function getActiveWorkers(db: Db, role?: string): Promise<Worker[]> {
  const r = parseInput(KeyArgSchema.optional(), role, "role");
  return withRead(db, async (ex) =>
    (r === undefined
      ? await ex.all<WorkerRowRaw>(
          "SELECT * FROM workers WHERE status = 'active' ORDER BY last_heartbeat DESC",
        )
      : await ex.all<WorkerRowRaw>(
          "SELECT * FROM workers WHERE status = 'active' AND role = ? ORDER BY last_heartbeat DESC",
          [r],
        )
    ).map(workerFromRow),
  );
}

/** Every worker, any status, most recent heartbeat first. */
export async function listWorkers(db: Db, status?: z.input<typeof WorkerStatusSchema>): Promise<Worker[]> {
  const s = parseInput(WorkerStatusSchema.optional(), status, "status");
  return withRead(db, async (ex) =>
    (s === undefined
      ? await ex.all<WorkerRowRaw>("SELECT * FROM workers ORDER BY last_heartbeat DESC")
      : await ex.all<WorkerRowRaw>("SELECT * FROM workers WHERE status = ? ORDER BY last_heartbeat DESC", [s])
    ).map(workerFromRow),
  );
}

/** The worker, or null. */
export async function getWorker(db: Db, workerId: string): Promise<Worker | null> {
  const id = parseInput(KeyArgSchema, workerId, "worker id");
  return withRead(db, async (ex) => {
    const row = await ex.get<WorkerRowRaw>("SELECT * FROM workers WHERE id = ?", [id]);
    return row ? workerFromRow(row) : null;
  });
}

/**
 * Removes a worker. Its runs keep their history (worker_id set null). Tasks it still holds keep
 * their lease until it expires and the reaper requeues them. False when not registered.
 */
export async function unregisterWorker(db: Db, workerId: string): Promise<boolean> {
  const id = parseInput(KeyArgSchema, workerId, "worker id");
  return withTx(db, async (tx) => (await tx.ex.run("DELETE FROM workers WHERE id = ?", [id])).changes > 0);
}
