import type { PlanningRequest } from "@hive/models";
import {
  claimPlanningRequests,
  completePlanningRequest,
  type Database,
  failPlanningRequest,
  PlanValidationError,
  registerWorker,
  releasePlanningRequest,
  updateWorkerHeartbeat,
} from "@hive/orchestration";
import type { Logger } from "pino";
import type { PlannerConfig } from "./config.ts";
import { type Planner, PlannerUnavailableError, PlanRejectedError } from "./planners/index.ts";

export interface DaemonStats {
  planned: number;
  rejected: number;
  released: number;
}

/**
 * The planner daemon: registered as a worker with role `planner`, it claims pending planning
 * requests atomically, plans them, and stores each plan with its subtasks and edges in one
 * transaction (completePlanningRequest). An invalid plan fails the request with the reason; an
 * unavailable planner gives the request back until maxAttempts.
 */
export class PlannerDaemon {
  readonly stats: DaemonStats = { planned: 0, rejected: 0, released: 0 };
  private readonly inflight = new Map<string, { request: PlanningRequest; controller: AbortController }>();
  private stopping = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private loop: Promise<void> | null = null;

  constructor(
    private readonly db: Database,
    private readonly planner: Planner,
    private readonly config: PlannerConfig,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await registerWorker(this.db, {
      workerId: this.config.agentId,
      role: "planner",
      capabilities: ["planning", this.planner.kind],
      metadata: { planner: this.planner.kind, pid: process.pid },
    });
    this.timers.push(
      setInterval(() => {
        updateWorkerHeartbeat(this.db, { workerId: this.config.agentId }).catch((err) =>
          this.log.error({ err: String(err) }, "heartbeat failed"),
        );
      }, this.config.heartbeatMs),
    );
    this.log.info({ planner: this.planner.kind, concurrency: this.config.concurrency }, "planner started");
    this.loop = this.run();
  }

  /** Resolves when the loop ends: after stop(), or in --once mode when nothing is pending. */
  done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const tasks = new Set<Promise<void>>();
    while (!this.stopping.signal.aborted) {
      const free = this.config.concurrency - this.inflight.size;
      let claimed: PlanningRequest[] = [];
      if (free > 0) {
        try {
          claimed = await claimPlanningRequests(this.db, {
            agentId: this.config.agentId,
            limit: free,
            staleAfterMs: this.config.staleAfterMs,
          });
        } catch (err) {
          this.log.error({ err: String(err) }, "claiming planning requests failed; retrying");
        }
      }
      for (const request of claimed) {
        const p = this.handle(request).finally(() => tasks.delete(p));
        tasks.add(p);
      }
      if (this.config.once && claimed.length === 0 && this.inflight.size === 0) break;
      if (claimed.length === 0 || this.inflight.size >= this.config.concurrency)
        await Promise.race([
          new Promise((r) => setTimeout(r, this.config.pollMs)),
          ...(this.inflight.size >= this.config.concurrency ? tasks : []),
          new Promise((r) => this.stopping.signal.addEventListener("abort", r, { once: true })),
        ]);
    }
    await Promise.allSettled(tasks);
  }

  private async handle(request: PlanningRequest): Promise<void> {
    const controller = new AbortController();
    this.inflight.set(request.id, { request, controller });
    const log = this.log.child({ requestId: request.id });
    const agentId = this.config.agentId;
    try {
      const out = await this.planner.plan(request, { signal: controller.signal });
      const { plan, subtaskCount } = await completePlanningRequest(this.db, {
        requestId: request.id,
        agentId,
        planData: out.planData,
        estimatedDuration: out.estimatedDuration,
        estimatedComplexity: out.estimatedComplexity,
        generatedWorkflow: out.generatedWorkflow as Record<string, never>,
      });
      this.stats.planned++;
      log.info({ planId: plan.id, subtaskCount }, "request planned");
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      try {
        if (err instanceof PlanRejectedError || err instanceof PlanValidationError) {
          this.stats.rejected++;
          await failPlanningRequest(this.db, {
            requestId: request.id,
            agentId,
            error: `invalid plan: ${reason}`,
          });
          log.warn({ reason }, "plan rejected; request failed");
        } else if (
          controller.signal.aborted ||
          (err instanceof PlannerUnavailableError && request.attempts < this.config.maxAttempts)
        ) {
          this.stats.released++;
          await releasePlanningRequest(this.db, { requestId: request.id, agentId });
          log.warn({ reason, attempt: request.attempts }, "planner unavailable; request given back");
        } else {
          this.stats.rejected++;
          await failPlanningRequest(this.db, { requestId: request.id, agentId, error: reason });
          log.error({ reason }, "planning failed; request failed");
        }
      } catch (reportErr) {
        // Taken over by another planner (stale) or the database is busy: the request is not lost,
        // it stays assigned and is planned again after staleAfterMs.
        log.error({ err: String(reportErr) }, "could not record the planning outcome");
      }
    } finally {
      this.inflight.delete(request.id);
    }
  }

  /** Stops claiming, aborts plans in flight (their requests are given back), marks the worker offline. */
  async stop(): Promise<void> {
    this.stopping.abort();
    for (const { controller } of this.inflight.values()) controller.abort(new Error("planner stopping"));
    await this.done();
    for (const t of this.timers) clearInterval(t);
    await updateWorkerHeartbeat(this.db, { workerId: this.config.agentId, status: "offline" }).catch(
      () => {},
    );
    this.log.info(this.stats, "planner stopped");
  }
}
