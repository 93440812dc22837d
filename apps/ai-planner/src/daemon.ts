import type { PlanningRequest } from "@hive/models";
import {
  claimPlanningRequests,
  completePlanningRequest,
  type Database,
  failPlanningRequest,
  InvalidTransitionError,
  PlanningRequestNotFoundError,
  PlanValidationError,
  reapExpiredLeases,
  registerWorker,
  releasePlanningRequest,
  updateWorkerHeartbeat,
  ValidationError,
} from "@hive/orchestration";
import type { Logger } from "pino";
import type { PlannerConfig } from "./config.ts";
import {
  type Planner,
  type PlannerOutput,
  PlannerUnavailableError,
  PlanRejectedError,
} from "./planners/index.ts";
import { sleep } from "./sleep.ts";

export interface DaemonStats {
  /** Requests planned and stored. */
  planned: number;
  /** Requests failed because their plan was invalid. */
  rejected: number;
  /** Requests failed for another reason (planner unavailable too often, planner error). */
  failed: number;
  /** Requests given back to the queue (planner unavailable, stopping). */
  released: number;
  /** Requests another planner took over (stale) before this one stored its result. */
  lost: number;
}

/** The reason stored on a request whose plan was rejected, the same for every planner. */
export function rejectionReason(err: PlanRejectedError | PlanValidationError): string {
  if (err instanceof PlanRejectedError) return capped(`invalid plan: ${err.message}`);
  const named = err.issues.slice(0, REASON_ISSUES);
  const schema = named.filter((i) => i.code === "schema").map((i) => i.message);
  const graph = named.filter((i) => i.code !== "schema").map((i) => i.message);
  if (schema.length === 0 && graph.length === 0) return capped(err.message);
  const more = err.issues.length - named.length;
  return capped(
    `invalid plan: ${[
      ...(schema.length > 0 ? [`schema error: ${schema.join("; ")}`] : []),
      ...graph,
      ...(more > 0 ? [`and ${more} more problem${more === 1 ? "" : "s"}`] : []),
    ].join("; ")}`,
  );
}

/**
 * A rejection names its first problems and counts the rest, and is cut at REASON_CHARS: naming
 * every problem of a large bad plan made a reason longer than failPlanningRequest stores
 * (100,000 characters), so the refusal itself failed and the request sat assigned until it was
 * reclaimed and finally failed as a planner that stopped answering.
 */
const REASON_ISSUES = 10;
const REASON_CHARS = 10_000;
const capped = (reason: string) =>
  reason.length <= REASON_CHARS ? reason : `${reason.slice(0, REASON_CHARS - 1)}…`;

/** A planner that cannot be reached is not asked again for a while: 1 s, 2 s, 4 s … up to 30 s. */
const unavailableBackoff = (attempt: number) => Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));

/**
 * The planner daemon: registered as a worker with role `planner` (heartbeat every heartbeatMs),
 * it claims pending planning requests atomically, plans them, and stores each plan with its
 * subtasks and edges in one transaction (completePlanningRequest: all or nothing). An invalid
 * plan fails the request with the reason and nothing reaches the tasks table; an unavailable
 * planner gives the request back (with a pause) until maxAttempts; a request whose planners
 * died maxAttempts times is failed by the claim. Every reaperMs it runs the reaper, so workers
 * (planners included) killed without a goodbye are marked offline.
 */
export class PlannerDaemon {
  readonly stats: DaemonStats = { planned: 0, rejected: 0, failed: 0, released: 0, lost: 0 };
  private readonly inflight = new Map<string, AbortController>();
  private readonly tasks = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private heartbeat: NodeJS.Timeout | undefined;
  private reaper: NodeJS.Timeout | undefined;
  /** The reap in flight: stop() waits for it, so none runs on a closed database. */
  private reaping: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private started: Promise<void> | null = null;
  private stopped: Promise<void> | null = null;
  private pausedUntil = 0;

  constructor(
    private readonly db: Database,
    private readonly planner: Planner,
    private readonly config: PlannerConfig,
    private readonly log: Logger,
  ) {}

  /** Registers the worker, starts the heartbeat and the claim loop. */
  start(): Promise<void> {
    this.started ??= this.begin();
    return this.started;
  }

  private async begin(): Promise<void> {
    await this.register();
    if (this.stopping.signal.aborted) return; // a signal arrived while registering
    this.heartbeat = setInterval(() => void this.beat(), this.config.heartbeatMs);
    // Task workers reap too, but a deployment with no task worker running (or one whose workers
    // all died) would otherwise show a SIGKILLed planner as active forever.
    if (this.config.reaperMs > 0)
      this.reaper = setInterval(() => {
        this.reaping ??= this.reap().finally(() => {
          this.reaping = null;
        });
      }, this.config.reaperMs);
    // Secrets stay out of the logs: the API key, and the URL's user and password (as db.location).
    const shown = {
      ...this.config,
      databaseUrl: this.config.databaseUrl?.replace(/\/\/[^@/]*@/, "//***@"),
      llm: { ...this.config.llm, apiKey: this.config.llm.apiKey && "***" },
    };
    this.log.info({ planner: this.planner.kind, config: shown }, "planner started");
    this.loop = this.run();
  }

  /** Resolves when the loop has ended and every plan in flight is settled: after stop(), or in --once mode when nothing is left. */
  async done(): Promise<void> {
    await this.loop;
    await Promise.allSettled([...this.tasks]);
  }

  /**
   * Stops claiming, lets plans in flight finish for up to drainMs, then aborts the rest (their
   * requests are given back), and marks the worker offline. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping.abort();
    await this.started?.catch(() => {}); // start() failing is reported by its own caller
    await this.loop;
    const pending = [...this.tasks];
    const settled = new AbortController(); // ends the drain timer early: it must not hold the process
    void Promise.allSettled(pending).then(() => settled.abort());
    const drained = await sleep(this.config.drainMs, settled.signal);
    if (!drained) {
      this.log.warn({ inflight: this.inflight.size }, "drain timeout: aborting plans in flight");
      for (const c of this.inflight.values()) c.abort(new Error("planner stopping"));
      await Promise.allSettled(pending);
    }
    clearInterval(this.heartbeat);
    clearInterval(this.reaper);
    await this.reaping;
    await updateWorkerHeartbeat(this.db, { workerId: this.config.agentId, status: "offline" }).catch((err) =>
      this.log.error({ err: String(err) }, "could not mark the worker offline"),
    );
    this.log.info({ stats: this.stats }, "planner stopped");
  }

  private register() {
    return registerWorker(this.db, {
      workerId: this.config.agentId,
      role: "planner",
      capabilities: ["planning", this.planner.kind],
      metadata: { planner: this.planner.kind, pid: process.pid, concurrency: this.config.concurrency },
    });
  }

  private async beat(): Promise<void> {
    try {
      // False: the worker row is gone (deleted by an operator); register again rather than vanish.
      if (!(await updateWorkerHeartbeat(this.db, { workerId: this.config.agentId }))) await this.register();
    } catch (err) {
      this.log.error({ err: String(err) }, "heartbeat failed");
    }
  }

  /** Marks silent workers offline (reapExpiredLeases, which also requeues expired task leases). */
  private async reap(): Promise<void> {
    try {
      const r = await reapExpiredLeases(this.db, { workerTimeoutMs: this.config.workerTimeoutMs });
      if (r.offlineWorkers.length + r.requeued.length + r.failed.length > 0)
        this.log.info({ ...r }, "reaped silent workers and expired leases");
    } catch (err) {
      // Passing (a busy database): the next period tries again.
      this.log.error({ err: String(err) }, "reaper failed; will retry");
    }
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const paused = this.pausedUntil - Date.now();
      if (paused > 0) {
        await sleep(paused, signal);
        continue;
      }
      const free = this.config.concurrency - this.inflight.size;
      let claimed: PlanningRequest[] = [];
      if (free > 0) {
        try {
          claimed = await claimPlanningRequests(this.db, {
            agentId: this.config.agentId,
            limit: free,
            staleAfterMs: this.config.staleAfterMs,
            maxAttempts: this.config.maxAttempts,
          });
        } catch (err) {
          // A busy or unreachable database is passing: report it and poll again.
          this.log.error({ err: String(err) }, "claiming planning requests failed; retrying");
        }
      }
      for (const request of claimed) {
        const task: Promise<void> = this.handle(request).finally(() => this.tasks.delete(task));
        this.tasks.add(task);
      }
      if (this.config.once && claimed.length === 0 && this.inflight.size === 0) break;
      if (this.inflight.size >= this.config.concurrency)
        await Promise.race([sleep(this.config.pollMs, signal), ...this.tasks]);
      else if (claimed.length === 0) await sleep(this.config.pollMs, signal);
    }
  }

  private async handle(request: PlanningRequest): Promise<void> {
    const controller = new AbortController();
    this.inflight.set(request.id, controller);
    const log = this.log.child({ requestId: request.id, attempt: request.attempts });
    try {
      let out: PlannerOutput;
      try {
        out = await this.planner.plan(request, { signal: controller.signal });
      } catch (err) {
        await this.planningFailed(request, err, controller.signal, log);
        return;
      }
      log.info({ subtaskCount: out.planData.sub_tasks.length }, "plan produced");
      if (this.config.storeDelayMs > 0 && (await sleep(this.config.storeDelayMs, controller.signal))) {
        await this.release(request, log, "stopping before the plan was stored");
        return;
      }
      await this.store(request, out, log);
    } finally {
      this.inflight.delete(request.id);
    }
  }

  private async store(request: PlanningRequest, out: PlannerOutput, log: Logger): Promise<void> {
    try {
      const { plan, subtaskCount } = await completePlanningRequest(this.db, {
        requestId: request.id,
        agentId: this.config.agentId,
        planData: out.planData,
        estimatedDuration: out.estimatedDuration,
        estimatedComplexity: out.estimatedComplexity,
        generatedWorkflow: out.generatedWorkflow,
      });
      this.stats.planned++;
      log.info({ planId: plan.id, subtaskCount }, "request planned");
    } catch (err) {
      if (err instanceof PlanValidationError || err instanceof ValidationError) {
        // completePlanningRequest validates the whole plan before writing anything.
        this.stats.rejected++;
        const reason =
          err instanceof PlanValidationError ? rejectionReason(err) : `invalid plan: ${err.message}`;
        await this.fail(request, reason, log);
      } else if (!this.isLost(err, log)) {
        log.error({ err: String(err) }, "storing the plan failed; giving the request back");
        await this.release(request, log, "storing failed");
      }
    }
  }

  private async planningFailed(
    request: PlanningRequest,
    err: unknown,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PlanRejectedError) {
      this.stats.rejected++;
      await this.fail(request, rejectionReason(err), log);
    } else if (signal.aborted) {
      await this.release(request, log, "stopping");
    } else if (err instanceof PlannerUnavailableError) {
      if (request.attempts < this.config.maxAttempts) {
        this.pausedUntil = Math.max(this.pausedUntil, Date.now() + unavailableBackoff(request.attempts));
        await this.release(request, log, `planner unavailable: ${message}`);
      } else {
        this.stats.failed++;
        await this.fail(request, `planner unavailable after ${request.attempts} attempts: ${message}`, log);
      }
    } else {
      // A planner bug: the same input would fail the same way, so do not loop on it.
      this.stats.failed++;
      log.error({ err: err instanceof Error ? err.stack : message }, "planner error");
      await this.fail(request, `planner error: ${message}`, log);
    }
  }

  private async fail(request: PlanningRequest, reason: string, log: Logger): Promise<void> {
    try {
      await failPlanningRequest(this.db, {
        requestId: request.id,
        agentId: this.config.agentId,
        error: reason,
      });
      log.warn({ reason }, "request failed");
    } catch (err) {
      if (!this.isLost(err, log))
        log.error({ err: String(err), reason }, "could not mark the request failed");
    }
  }

  private async release(request: PlanningRequest, log: Logger, why: string): Promise<void> {
    try {
      await releasePlanningRequest(this.db, { requestId: request.id, agentId: this.config.agentId });
      this.stats.released++;
      log.warn({ why }, "request given back");
    } catch (err) {
      // Still assigned to us: it is planned again once stale (staleAfterMs), never lost.
      if (!this.isLost(err, log)) log.error({ err: String(err), why }, "could not give the request back");
    }
  }

  /** The request was taken over by another planner (ours went stale) or deleted: drop our result. */
  private isLost(err: unknown, log: Logger): boolean {
    if (!(err instanceof InvalidTransitionError || err instanceof PlanningRequestNotFoundError)) return false;
    this.stats.lost++;
    log.warn({ err: err.message }, "request no longer ours; result dropped");
    return true;
  }
}
