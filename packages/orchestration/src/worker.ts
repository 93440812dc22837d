import { hostname } from "node:os";
import type { ClaimedTask, JsonValue, RetryPolicy, Task } from "@hive/models";
import {
  JsonObjectSchema,
  JsonValueSchema,
  KeyArgSchema,
  MAX_CLAIM_LIMIT,
  RegisterWorkerInputSchema,
  RetryPolicySchema,
  toStorableText,
} from "@hive/models";
import { z } from "zod";
import {
  claimTasks,
  hasClaimableTasks,
  heartbeatTask,
  releaseTasks,
  renewLeases,
  reportOutcomes,
} from "./claims.ts";
import { LeaseLostError, ValidationError, WorkerNotFoundError } from "./errors.ts";
import type { Database } from "./handle.ts";
import { reapExpiredLeases } from "./reaper.ts";
import { parseInput } from "./validate.ts";
import { registerWorker, unregisterWorker, updateWorkerHeartbeat } from "./workers.ts";

/** Thrown by a handler: fail the task for good, no retry (bad input, say). */
export class PermanentError extends Error {
  override name = "PermanentError";
}

export interface TaskContext {
  task: Task;
  /** The fencing token of this lease. */
  token: number;
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when the task is cancelled, the lease is lost, or the worker stops past its drain timeout. */
  signal: AbortSignal;
  /** Appends a line to this attempt's output log (kept in the run row). */
  log(line: string): void;
  /**
   * Renews the lease now (the runtime also does it every heartbeatMs), and saves the log so far
   * to the run row (a crash or a lost lease then keeps it). With a phase, records it on the task
   * and its run (1-100 characters).
   */
  heartbeat(phase?: string): Promise<void>;
}

/** Returns the task's result (JSON) or throws; PermanentError fails the task without retry. */
export type TaskHandler = (
  ctx: TaskContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that returns nothing is valid (no result)
) => Promise<JsonValue | undefined | void> | JsonValue | undefined | void;

export interface WorkerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Default commit lanes on PostgreSQL. With one, the server sat idle while this process ran
 * handlers and built the next commit. Once each lane claimed for its own batch (see flush),
 * two lanes kept one process's server backends busy: measured (`pnpm bench --backend postgres
 * --suites processing --systems hive`, four alternating pairs against the three lanes, each
 * lane claiming for two, of before): 1 process 15.2-17.5k → 18.2-22.3k tasks/s, 2 processes
 * level (20.3-25.7k vs 19.0-23.4k). Three such lanes were level with two for one process and
 * below them for two (17.2-20.2k): six transactions at once on a 2-core server contend.
 */
const PG_COMMIT_LANES = 2;

/** The default silence after which this worker's reaper marks a worker offline (reapExpiredLeases' default). */
const DEFAULT_WORKER_TIMEOUT_MS = 30_000;
/** The longest a running Worker goes without writing its row (a third of the reapers' default timeout). */
const MAX_WORKER_BEAT_MS = 10_000;

// workerId, role and capabilities as registerWorker takes them: refused here, at construction,
// not by the registration in start().
const OptionsSchema = z.object({
  workerId: RegisterWorkerInputSchema.shape.workerId.optional(),
  role: RegisterWorkerInputSchema.shape.role,
  capabilities: RegisterWorkerInputSchema.shape.capabilities,
  taskTypes: z.array(KeyArgSchema).min(1).optional(),
  /** Handlers run at once (default 1). */
  concurrency: z.number().int().min(1).max(1000).default(1),
  /** Extra tasks claimed ahead into a local buffer (default: concurrency). */
  prefetch: z.number().int().min(0).max(1000).optional(),
  /**
   * Group commits (outcomes plus the claim refilling their slots) in flight at once, each taking
   * up to its share of the held tasks. Default: 2 on PostgreSQL, where a commit runs on the
   * server and this process runs handlers and builds the next one meanwhile; 1 on SQLite, where
   * a commit runs on this thread.
   */
  commitLanes: z.number().int().min(1).max(8).optional(),
  leaseMs: z.number().int().min(200).default(30_000),
  /**
   * Lease renewal and worker heartbeat period (default leaseMs / 3; the worker row and the leases
   * are written at least every 10 s whatever it is, so that other workers' reapers, which mark a
   * worker silent for 30 s offline, never take a live one for dead). Must be shorter than leaseMs;
   * above leaseMs / 2 one late renewal (a busy database, a blocked event loop) loses the lease,
   * so the worker warns.
   */
  heartbeatMs: z.number().int().min(50).optional(),
  /** Idle polling backoff, from pollMinMs doubling up to pollMaxMs. */
  pollMinMs: z.number().int().min(1).default(10),
  pollMaxMs: z.number().int().min(1).default(250),
  /** Reaper period; 0 disables the reaper in this worker (default 2 s). */
  reaperIntervalMs: z.number().int().min(0).default(2000),
  /**
   * This worker's reaper marks a worker silent this long offline. Default: 30 s (the reaper's
   * own default), or 3 × heartbeatMs when that is longer. It judges other workers, whose
   * heartbeat periods it cannot know: 3 × its own alone made a short-lease worker mark every
   * live worker with a longer period offline between their heartbeats, again and again.
   */
  workerTimeoutMs: z.number().int().min(1).optional(),
  metadata: JsonObjectSchema.optional(),
  /** Unregister (delete the worker row) on stop instead of marking it offline. */
  unregisterOnStop: z.boolean().default(false),
});
// Renewed no more often than it lasts, every lease ran out before its renewal: the worker's own
// reaper took each task back and none ever completed.
const CheckedOptionsSchema = OptionsSchema.refine(
  (o) => o.heartbeatMs === undefined || o.heartbeatMs < o.leaseMs,
  {
    path: ["heartbeatMs"],
    message: "must be shorter than leaseMs (the lease is renewed every heartbeatMs)",
  },
);

export type WorkerOptions = z.input<typeof OptionsSchema> & {
  db: Database;
  /** One handler for every task, or one per task type. */
  handler: TaskHandler | Record<string, TaskHandler>;
  backoff?: RetryPolicy;
  logger?: WorkerLogger;
};

interface Held {
  task: Task;
  token: number;
  /** Created when the handler first reads its signal, or when the task is aborted. */
  controller: AbortController | null;
  /** Created by the first log line. */
  output: string[] | null;
  outputBytes: number;
  started: boolean;
}

type Outcome =
  | { kind: "complete"; held: Held; result: JsonValue | undefined }
  | { kind: "fail"; held: Held; error: string; retryable: boolean };

const MAX_LOG_BYTES = 1_000_000;
const silent: WorkerLogger = { info() {}, warn() {}, error() {} };
/**
 * Wakes the claim loop. A wake-up that arrives while the loop is busy (claiming, say) is kept
 * and ends its next wait at once, so none is lost; waiting costs a timer, not an AbortController.
 */
class Waker {
  private pending = false;
  private resolve: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  wake(): void {
    if (this.resolve) this.finish();
    else this.pending = true;
  }

  /** Resolves after `ms`, or at once if woken since the last wait, or when woken. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.finish(), ms);
    });
  }

  private finish(): void {
    const r = this.resolve;
    this.resolve = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    r?.();
  }
}

function appendLog(h: Held, raw: string): void {
  const line = toStorableText(String(raw)); // completeTask refuses NUL and unpaired surrogates
  h.output ??= [];
  h.output.push(line);
  h.outputBytes += line.length + 1;
  while (h.outputBytes > MAX_LOG_BYTES && h.output.length > 1) h.outputBytes -= h.output.shift()!.length + 1;
}

/** A running task's context; `log` and `heartbeat` are made on first use (most handlers use neither). */
class Context implements TaskContext {
  readonly task: Task;
  readonly token: number;
  readonly attempt: number;
  readonly #h: Held;
  readonly #beat: (h: Held, phase?: string) => Promise<void>;
  #log: ((line: string) => void) | null = null;
  #heartbeat: ((phase?: string) => Promise<void>) | null = null;

  constructor(h: Held, beat: (h: Held, phase?: string) => Promise<void>) {
    this.task = h.task;
    this.token = h.token;
    this.attempt = h.task.attempts;
    this.#h = h;
    this.#beat = beat;
  }

  get signal(): AbortSignal {
    this.#h.controller ??= new AbortController();
    return this.#h.controller.signal;
  }

  get log(): (line: string) => void {
    this.#log ??= (line) => appendLog(this.#h, line);
    return this.#log;
  }

  get heartbeat(): (phase?: string) => Promise<void> {
    this.#heartbeat ??= (phase) => this.#beat(this.#h, phase);
    return this.#heartbeat;
  }
}

/**
 * A handler's result as it is stored: JSON, as JSON.stringify writes it (undefined fields
 * dropped, a Date as its ISO string). Checked here, per task: one result that completeTasks
 * refused as invalid input would fail the whole group commit, every time it is retried.
 */
function jsonResult(value: unknown): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (JsonValueSchema.safeParse(value).success) return value as JsonValue;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new PermanentError(`the handler's result is not JSON: ${(err as Error).message}`);
  }
  return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
}

/** The most of an error message failTask stores (FailTaskInputSchema). */
const MAX_ERROR_CHARS = 100_000;

/**
 * What a thrown value is stored as: never empty, never longer than failTask accepts. A message
 * failTask refused would fail the whole group commit, every time it is retried.
 */
function failureMessage(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? err.message || err.name : String(err);
  } catch {
    text = ""; // a thrown value that cannot be made a string
  }
  if (text.length === 0)
    text = `the handler threw ${err instanceof Error ? "an Error without a message" : "an empty value"}`;
  const cut = " … (truncated)";
  // After the cut, which may halve a surrogate pair: failTask refuses NUL and unpaired surrogates.
  return toStorableText(
    text.length > MAX_ERROR_CHARS ? text.slice(0, MAX_ERROR_CHARS - cut.length) + cut : text,
  );
}

/**
 * The task types a handler map serves: its keys, or the `taskTypes` given, each of which must
 * have a handler. Refused (ValidationError naming the type): an empty map (it claimed every task
 * type and failed each task for good, "no handler"), a task type without a handler (the same, for
 * that type), a key that is no task type createTask stores (blank or untrimmed: its tasks were
 * claimed under the trimmed type and failed for want of a handler, or never claimed).
 */
function handledTypes(handler: Record<string, TaskHandler>, taskTypes: string[] | undefined): string[] {
  const refuse = (message: string): never => {
    throw new ValidationError(`invalid Worker options: handler: ${message}`, [{ path: "handler", message }]);
  };
  if (handler === null || typeof handler !== "object")
    refuse("must be a function or a map of task type to function");
  const types = Object.keys(handler);
  if (types.length === 0) refuse("a map of task type to function must name at least one task type");
  for (const type of types) {
    if (type.trim() !== type || type.length === 0)
      refuse(`key "${type}" is no task type (task types are stored trimmed and not empty)`);
    if (typeof handler[type] !== "function") refuse(`the handler of "${type}" is not a function`);
  }
  for (const type of taskTypes ?? [])
    if (typeof handler[type] !== "function")
      refuse(`taskTypes names "${type}", which has no handler: its tasks would fail for good`);
  return taskTypes ?? types;
}

function abortHeld(h: Held, reason: unknown): void {
  h.controller ??= new AbortController();
  h.controller.abort(reason);
}

/**
 * The worker runtime: registers, heartbeats, claims in batches with concurrency N (a small
 * prefetch buffer), runs handlers with an AbortSignal, reports outcomes by group commit, reaps
 * expired leases, and drains gracefully on stop.
 */
export class Worker {
  readonly id: string;
  private readonly o: z.output<typeof OptionsSchema>;
  private readonly db: Database;
  private readonly handler: TaskHandler | Record<string, TaskHandler>;
  private readonly log: WorkerLogger;
  private readonly backoff: RetryPolicy;
  private readonly held = new Map<string, Held>();
  private readonly buffer: Held[] = [];
  private readonly outcomes: Outcome[] = [];
  private running = 0;
  /** Slots asked for by the claims in flight (the claim loop's, or ones riding group commits). */
  private reserved = 0;
  /** Group commits in flight (at most `lanes`), and whether one is due to start next turn. */
  private readonly flushes = new Set<Promise<void>>();
  private flushScheduled = false;
  /** Set by a stop: past this time a failing group commit gives up instead of retrying. */
  private giveUpAt = Number.POSITIVE_INFINITY;
  private readonly waker = new Waker();
  /** Set by a local event that queued work: the next claim skips the "anything claimable?" probe. */
  private workHint = false;
  private loops: Promise<void>[] = [];
  private timers: NodeJS.Timeout[] = [];
  /** Heartbeats and reaps in flight: a stop waits for them, so none writes after it. */
  private readonly background = new Set<Promise<void>>();
  /** A heartbeat pass is running (the next interval skips rather than piles up behind it). */
  private beating = false;
  /** start()'s registration and setup, which a stop called meanwhile waits for (never rejects). */
  private starting: Promise<void> = Promise.resolve();
  private offEvents: (() => void) | null = null;
  private offWake: (() => void) | null = null;
  private state: "new" | "running" | "stopping" | "stopped" = "new";
  private reregistering: Promise<boolean> | null = null;
  /** The stop in progress or done, once stop() was called on a running worker. */
  private stopping: Promise<void> | null = null;
  /** Counters for tests and status output. */
  readonly stats = { claimed: 0, completed: 0, failed: 0, lostLeases: 0 };

  constructor(options: WorkerOptions) {
    const { db, handler, backoff, logger, ...rest } = options;
    this.o = parseInput(CheckedOptionsSchema, rest, "Worker options");
    this.db = db;
    this.handler = handler;
    // Checked now: a policy refused only when a task fails would leave every failure unrecorded
    // (the task in progress until its lease expired).
    if (backoff !== undefined) parseInput(RetryPolicySchema, backoff, "Worker options backoff");
    this.backoff = backoff ?? {};
    this.id =
      this.o.workerId ?? `${this.o.role}-${hostname()}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`;
    this.log = logger ?? silent;
    if (typeof handler !== "function") this.o.taskTypes = handledTypes(handler, this.o.taskTypes);
    if (this.heartbeatMs > this.o.leaseMs / 2)
      this.log.warn(
        { workerId: this.id, heartbeatMs: this.heartbeatMs, leaseMs: this.o.leaseMs },
        "heartbeatMs is over half of leaseMs: one late lease renewal loses the lease",
      );
  }

  /** Tasks held at most: running plus buffered (concurrency + prefetch). */
  private get capacity(): number {
    return this.o.concurrency + (this.o.prefetch ?? this.o.concurrency);
  }

  /** Slots neither held nor asked for by a claim in flight: what a new claim may take. */
  private get freeSlots(): number {
    return this.capacity - this.held.size - this.reserved;
  }

  private get heartbeatMs(): number {
    return this.o.heartbeatMs ?? Math.max(50, Math.floor(this.o.leaseMs / 3));
  }

  /**
   * How often heartbeatAll runs: every heartbeatMs, and at least every MAX_WORKER_BEAT_MS. The
   * worker row must be seen well within the 30 s after which other workers' reapers mark it
   * offline: with a long lease (leaseMs 120 s beats every 40 s) a busy worker, which claims
   * nothing while its slots are full, went offline between its heartbeats, again and again.
   */
  private get beatEveryMs(): number {
    return Math.min(this.heartbeatMs, MAX_WORKER_BEAT_MS);
  }

  /**
   * Registers the worker and starts its loops. A stop() called before this resolves wins: the
   * worker is left stopped (no loop or interval started, its row offline) and this resolves.
   */
  async start(): Promise<this> {
    if (this.state !== "new") throw new Error("a Worker can be started once");
    this.state = "running";
    const starting = this.setUp();
    this.starting = starting.catch(() => {});
    await starting;
    return this;
  }

  private async setUp(): Promise<void> {
    await this.register();
    if (this.state !== "running") return; // stopped while registering
    // Local enqueues wake the claim loop at once; other processes through the backend (SQLite:
    // data_version checks; PostgreSQL: NOTIFY), with polling as the fallback.
    const hint = () => {
      this.workHint = true;
      this.waker.wake();
    };
    const offs = (["task.created", "task.queued", "plan.started"] as const).map((type) =>
      this.db.events.on(type, hint),
    );
    this.offEvents = () => {
      for (const off of offs) off();
    };
    if (this.db._backend.onWake) {
      try {
        this.offWake = await this.db._backend.onWake(() => this.waker.wake());
      } catch (err) {
        this.log.warn({ workerId: this.id, err: String(err) }, "no cross-process wake-ups; polling only");
      }
    }
    if (this.state !== "running") return; // stopped meanwhile: the stop removes the listeners
    this.timers.push(setInterval(() => this.inBackground(() => this.heartbeatAll()), this.beatEveryMs));
    if (this.o.reaperIntervalMs > 0)
      this.timers.push(setInterval(() => this.inBackground(() => this.reap()), this.o.reaperIntervalMs));
    this.loops.push(this.claimLoop());
    this.log.info({ workerId: this.id, role: this.o.role }, "worker started");
  }

  private inBackground(run: () => Promise<void>): void {
    const p = run().finally(() => this.background.delete(p));
    this.background.add(p);
  }

  private register(): Promise<unknown> {
    return registerWorker(this.db, {
      workerId: this.id,
      role: this.o.role,
      capabilities: this.o.capabilities,
      metadata: this.o.metadata ?? null,
    });
  }

  /**
   * Registers the worker again when its row is found gone while it runs (unregisterWorker by an
   * operator or a cleanup script): claims need the row, and without it the worker idled,
   * logging a failed claim every poll. Its leases were kept, so what it holds still completes.
   * Calls while one is in flight share it.
   */
  private reregister(): Promise<boolean> {
    if (this.state !== "running") return Promise.resolve(false);
    this.reregistering ??= (async () => {
      try {
        await this.register();
        this.log.warn(
          { workerId: this.id },
          "worker row was gone (unregistered while running); registered again",
        );
        return true;
      } catch (err) {
        this.log.error({ workerId: this.id, err: String(err) }, "registering again failed; will retry");
        return false;
      } finally {
        this.reregistering = null;
      }
    })();
    return this.reregistering;
  }

  /** Tasks this worker holds a lease on right now (running or buffered). */
  get holding(): number {
    return this.held.size;
  }

  private async claimLoop(): Promise<void> {
    let idle = this.o.pollMinMs;
    let lastFull = false;
    while (this.state === "running") {
      // A group commit claiming right now fills the buffer itself.
      const free = () => (this.reserved > 0 ? 0 : this.freeSlots);
      const want = free();
      let got = 0;
      if (want > 0) {
        try {
          // The read keeps idle polls free of write locks; after a full claim there is likely more.
          const hinted = this.workHint;
          this.workHint = false;
          if (
            (lastFull ||
              hinted ||
              (await hasClaimableTasks(this.db, this.o.taskTypes, this.o.capabilities))) &&
            // A group commit may have claimed during the probe: count the slots again.
            free() > 0
          ) {
            const input = this.claimInput(free());
            this.reserved += input.limit;
            try {
              got = this.adopt(await claimTasks(this.db, input));
            } finally {
              this.reserved -= input.limit;
            }
            lastFull = got === input.limit;
          }
        } catch (err) {
          lastFull = false;
          // Registered again: claim at once, not after a backoff.
          if (err instanceof WorkerNotFoundError && (await this.reregister())) {
            lastFull = true;
            continue;
          }
          this.log.error({ workerId: this.id, err: String(err) }, "claim failed; retrying");
        }
      }
      this.pump();
      if (got > 0) {
        idle = this.o.pollMinMs;
        if (this.held.size < this.capacity) continue;
      }
      if (want > 0 && got === 0) {
        // Nothing to claim: back off, unless woken (local enqueue, NOTIFY, released dependents).
        await this.waker.wait(idle);
        idle = Math.min(this.o.pollMaxMs, idle * 2);
      } else {
        // The buffer is full: the flush that frees slots wakes the loop (pollMaxMs as a safety net).
        await this.waker.wait(this.o.pollMaxMs);
      }
    }
  }

  /** A claim of up to `limit` tasks; more than one claim may hand out takes several claims. */
  private claimInput(limit: number) {
    return {
      workerId: this.id,
      capabilities: this.o.capabilities,
      taskTypes: this.o.taskTypes,
      limit: Math.min(limit, MAX_CLAIM_LIMIT),
      leaseMs: this.o.leaseMs,
    };
  }

  /**
   * Takes claimed tasks into the buffer; returns how many. A task this worker still holds under
   * an older lease (cancelled or reaped, then requeued, and claimed again before the old
   * handler ended) is held under the new one: the old lease is gone, so its handler is aborted.
   */
  private adopt(claimed: readonly ClaimedTask[]): number {
    for (const c of claimed) {
      const old = this.held.get(c.task.id);
      if (old) {
        abortHeld(old, new LeaseLostError(old.task.id, old.token, "the task was claimed again"));
        const i = this.buffer.indexOf(old);
        if (i >= 0) this.buffer.splice(i, 1);
      }
      const h: Held = {
        task: c.task,
        token: c.token,
        controller: null,
        output: null,
        outputBytes: 0,
        started: false,
      };
      this.held.set(c.task.id, h);
      this.buffer.push(h);
    }
    this.stats.claimed += claimed.length;
    return claimed.length;
  }

  /**
   * Starts buffered tasks while slots are free, only while running: a stop hands the buffer back
   * unstarted (a handler finishing during the stop used to start the next buffered task, which
   * the stop then had to wait for, or abort at its timeout).
   */
  private pump(): void {
    while (this.running < this.o.concurrency && this.buffer.length > 0 && this.state === "running") {
      const h = this.buffer.shift()!;
      h.started = true;
      this.running++;
      void this.execute(h).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private pick(task: Task): TaskHandler | undefined {
    return typeof this.handler === "function" ? this.handler : this.handler[task.taskType];
  }

  private async execute(h: Held): Promise<void> {
    const handler = this.pick(h.task);
    try {
      if (!handler) throw new PermanentError(`no handler for task type "${h.task.taskType}"`);
      const result = jsonResult(await handler(new Context(h, this.beat)));
      this.report({ kind: "complete", held: h, result });
    } catch (err) {
      this.report({
        kind: "fail",
        held: h,
        error: failureMessage(err),
        retryable: !(err instanceof PermanentError),
      });
    }
  }

  /** A handler's own heartbeat(): a stop waits for it too; after the stop it is refused. */
  private readonly beat = (h: Held, phase?: string): Promise<void> => {
    if (this.state === "stopped")
      return Promise.reject(
        new LeaseLostError(h.task.id, h.token, "the worker stopped and abandoned the task"),
      );
    const p = this.heartbeatOne(h, phase, h.output?.join("\n"));
    this.inBackground(() => p.catch(() => {}));
    return p;
  };

  /** Queues an outcome; outcomes finishing close together are committed in one transaction. */
  private report(o: Outcome): void {
    if (this.state === "stopped") {
      // A handler that outlived the stop: the stop abandoned its task, which its lease expiry
      // returns to the queue. Writing it now would write after stop() resolved (or, the handle
      // closed, retry for ever).
      this.release(o.held);
      this.log.warn(
        { workerId: this.id, taskId: o.held.task.id },
        "a handler finished after the worker stopped; its outcome is dropped and the task runs again when its lease expires",
      );
      return;
    }
    this.outcomes.push(o);
    this.scheduleFlush();
  }

  /** Group commits in flight at most (see the commitLanes option). */
  private get lanes(): number {
    return this.o.commitLanes ?? (this.db.kind === "postgres" ? PG_COMMIT_LANES : 1);
  }

  /** Outcomes one group commit takes: with several lanes, a lane's share of the held tasks. */
  private get commitBatch(): number {
    return this.lanes === 1 ? 500 : Math.max(this.o.concurrency, Math.ceil(this.capacity / this.lanes));
  }

  /** Starts a group commit on the next turn (outcomes finishing together share it), if a lane is free. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushes.size >= this.lanes) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.outcomes.length > 0 && this.flushes.size < this.lanes) this.startFlush();
      // flush() takes its batch at once: what is left may go to another lane.
      if (this.outcomes.length > 0) this.scheduleFlush();
    });
  }

  /** Runs a group commit in a lane until no outcome is left for it. */
  private startFlush(): Promise<void> {
    const p: Promise<void> = this.flush().finally(() => {
      this.flushes.delete(p);
      if (this.outcomes.length > 0 && this.state !== "stopped") this.scheduleFlush();
    });
    this.flushes.add(p);
    return p;
  }

  /** Until no group commit is in flight. */
  private async flushed(): Promise<void> {
    while (this.flushes.size > 0) await Promise.all(this.flushes);
  }

  private async flush(): Promise<void> {
    let claimWithOutcomes = true;
    while (this.outcomes.length > 0) {
      const batch = this.outcomes.splice(0, this.commitBatch);
      const completes = batch.filter((o) => o.kind === "complete");
      const fails = batch.filter((o) => o.kind === "fail");
      // The slots this batch frees are refilled in its own transaction: one commit, not two.
      const want = this.freeSlots + batch.length;
      const claim =
        claimWithOutcomes && this.state === "running" && want > 0 ? this.claimInput(want) : undefined;
      // The batch's own slots are still counted in `held` until this commit's claimed tasks take
      // them, so only the claim beyond them is reserved. Reserving them too left freeSlots below
      // zero while this claim was in flight, and another lane's commit then claimed nothing
      // (three lanes worked as one and a half: PostgreSQL, one process, 15.0-16.9k → 17.4-19.6k
      // tasks/s, four alternating pairs).
      const reserve = claim ? Math.max(0, claim.limit - batch.length) : 0;
      this.reserved += reserve;
      try {
        const { results, claimed } = await reportOutcomes(
          this.db,
          completes.map((o) => ({
            taskId: o.held.task.id,
            token: o.held.token,
            result: o.result as JsonValue,
            outputLog: o.held.output?.join("\n"),
          })),
          fails.map((o) => ({
            taskId: o.held.task.id,
            token: o.held.token,
            error: o.error,
            retryable: o.retryable,
            outputLog: o.held.output?.join("\n"),
          })),
          this.backoff,
          claim,
        );
        for (const r of results) {
          if (r.ok) {
            if (r.task === null || r.task.status === "completed") this.stats.completed++;
            else this.stats.failed++;
          } else {
            this.stats.lostLeases++;
            this.log.warn({ workerId: this.id, taskId: r.taskId, err: r.error.message }, "outcome rejected");
          }
        }
        for (const o of batch) this.release(o.held);
        if (claimed.length > 0) {
          this.adopt(claimed);
          this.pump();
        }
        // Slots are free: let the claim loop refill them at once instead of at its next poll,
        // unless this commit's own claim just looked (new work comes with its own wake-up).
        if (!claim) this.waker.wake();
      } catch (err) {
        // A passing error (busy database): keep the outcomes and try again shortly, without the
        // claim (should it be what failed). Leases are still renewed meanwhile, so nothing is lost.
        this.outcomes.unshift(...batch);
        claimWithOutcomes = false;
        // The claim riding the commit found the worker row gone: the outcomes go again without it.
        if (err instanceof WorkerNotFoundError) void this.reregister();
        else this.log.error({ workerId: this.id, err: String(err) }, "reporting outcomes failed; retrying");
        await new Promise((r) => setTimeout(r, 100));
        if (this.state === "stopped" || Date.now() >= this.giveUpAt) break;
      } finally {
        this.reserved -= reserve;
      }
    }
  }

  private async heartbeatOne(h: Held, phase?: string, outputLog?: string): Promise<void> {
    try {
      const r = await heartbeatTask(this.db, {
        taskId: h.task.id,
        token: h.token,
        leaseMs: this.o.leaseMs,
        ...(phase !== undefined ? { phase } : {}),
        ...(outputLog !== undefined ? { outputLog } : {}),
      });
      if (r.cancelRequested) {
        this.log.info({ workerId: this.id, taskId: h.task.id }, "task cancelled; aborting");
        abortHeld(h, new Error("task cancelled"));
        this.dropUnstarted(h);
      }
    } catch (err) {
      if (err instanceof LeaseLostError || (err as Error).name === "TaskNotFoundError") {
        this.log.warn(
          { workerId: this.id, taskId: h.task.id, err: (err as Error).message },
          "lease lost; aborting",
        );
        abortHeld(h, err);
        this.dropUnstarted(h);
      } else throw err;
    }
  }

  /**
   * Forgets `h`, but not a newer lease of the same task held since (see adopt): deleting by id
   * alone, an old run's late outcome dropped the new run, whose lease then went unrenewed.
   */
  private release(h: Held): void {
    if (this.held.get(h.task.id) === h) this.held.delete(h.task.id);
  }

  /** A buffered task that is no longer ours (cancelled, lease lost) is never started: its slot is free. */
  private dropUnstarted(h: Held): void {
    if (h.started) return;
    this.release(h);
    const i = this.buffer.indexOf(h);
    if (i >= 0) this.buffer.splice(i, 1);
  }

  /**
   * The worker row, then every held lease in one statement (renewLeases). A lease whose row
   * another transaction holds is skipped until the next pass instead of waited for: renewing one
   * task after another, a single locked row held back every renewal behind it until those leases
   * expired and their tasks ran again elsewhere. A pass still running skips the next.
   */
  private async heartbeatAll(): Promise<void> {
    if (this.beating) return;
    this.beating = true;
    try {
      if (!(await updateWorkerHeartbeat(this.db, { workerId: this.id }))) await this.reregister();
      const pending = new Set(this.outcomes.map((o) => o.held));
      const held = [...this.held.values()].filter((h) => !pending.has(h));
      const renewals = await renewLeases(
        this.db,
        held.map((h) => ({ taskId: h.task.id, token: h.token })),
        this.o.leaseMs,
      );
      for (const h of held) {
        const r = renewals.get(h.task.id);
        if (r === "cancelled") {
          this.log.info({ workerId: this.id, taskId: h.task.id }, "task cancelled; aborting");
          abortHeld(h, new Error("task cancelled"));
          this.dropUnstarted(h);
        } else if (
          r === "lost" &&
          this.held.get(h.task.id) === h &&
          !this.outcomes.some((o) => o.held === h)
        ) {
          // Not an outcome reported meanwhile (its commit finishes the task: not a lost lease).
          const err = new LeaseLostError(
            h.task.id,
            h.token,
            "the task was claimed again, finished or removed",
          );
          this.log.warn({ workerId: this.id, taskId: h.task.id, err: err.message }, "lease lost; aborting");
          abortHeld(h, err);
          this.dropUnstarted(h);
        }
      }
    } catch (err) {
      this.log.error({ workerId: this.id, err: String(err) }, "heartbeat failed; will retry");
    } finally {
      this.beating = false;
    }
  }

  private async reap(): Promise<void> {
    try {
      const r = await reapExpiredLeases(this.db, {
        workerTimeoutMs: this.o.workerTimeoutMs ?? Math.max(DEFAULT_WORKER_TIMEOUT_MS, this.beatEveryMs * 3),
      });
      if (r.requeued.length || r.failed.length || r.offlineWorkers.length)
        this.log.info({ workerId: this.id, ...r }, "reaped expired leases");
    } catch (err) {
      this.log.error({ workerId: this.id, err: String(err) }, "reaper failed; will retry");
    }
  }

  /**
   * Stops claiming, hands back buffered tasks, waits up to `timeoutMs` for running handlers,
   * then aborts the rest (their failure is reported and counts as an attempt: retried while
   * attempts remain, failed for good when none do), flushes outcomes and
   * marks the worker offline (or unregisters it).
   */
  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    // A second call while stopping waits for the same stop (a SIGTERM handler and a finally, say).
    if (this.state === "running") this.stopping = this.drain(options.timeoutMs ?? 30_000);
    return this.stopping ?? Promise.resolve();
  }

  /**
   * While a stop finishes its tasks the worker's row says `draining` (listWorkers shows it; a
   * claim in flight, a group commit's, gets nothing). A row that is not there stays so.
   */
  private async markDraining(): Promise<void> {
    try {
      await updateWorkerHeartbeat(this.db, { workerId: this.id, status: "draining" });
    } catch (err) {
      this.log.error({ workerId: this.id, err: String(err) }, "could not mark the worker draining");
    }
  }

  private async drain(timeoutMs: number): Promise<void> {
    this.state = "stopping";
    this.waker.wake();
    await this.starting; // a start() in progress installs nothing more once it sees the stop
    await Promise.all(this.loops);
    await this.markDraining();
    // A group commit in flight may still bring claimed tasks into the buffer: let it land first
    // (or give up, as below, if the database refuses it until the timeout).
    this.giveUpAt = Date.now() + timeoutMs;
    await this.flushed();
    const unstarted = this.buffer.splice(0);
    if (unstarted.length > 0) {
      try {
        await releaseTasks(
          this.db,
          unstarted.map((h) => ({ taskId: h.task.id, token: h.token })),
        );
      } catch (err) {
        this.log.error(
          { workerId: this.id, err: String(err) },
          "could not release buffered tasks; their leases will expire",
        );
      }
      for (const h of unstarted) this.release(h);
    }
    const deadline = Date.now() + timeoutMs;
    while (this.running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.running > 0) {
      for (const h of this.held.values()) abortHeld(h, new Error("worker stopping"));
      const grace = Date.now() + Math.min(5000, Math.max(100, timeoutMs));
      while (this.running > 0 && Date.now() < grace) await new Promise((r) => setTimeout(r, 10));
    }
    // Outcomes are retried while the database refuses them, but not past the stop's timeout: a
    // worker whose database is gone must still stop. What is left unrecorded is not lost: the
    // leases expire and the tasks run again.
    this.giveUpAt = Date.now() + timeoutMs;
    while ((this.flushes.size > 0 || this.outcomes.length > 0) && Date.now() < this.giveUpAt)
      await (this.flushes.size > 0 ? this.flushed() : this.startFlush());
    await this.flushed();
    // From here on the worker writes nothing but its offline mark, and schedules nothing. A
    // handler still running (it ignored its signal) is abandoned: its outcome is dropped (see
    // report), no heartbeat renews its lease, and a reaper requeues it when the lease expires.
    // Releasing it now instead would let another worker start it while this handler still runs.
    this.state = "stopped";
    if (this.outcomes.length > 0) {
      this.log.error(
        { workerId: this.id, outcomes: this.outcomes.length },
        "could not record outcomes before the stop's timeout; their leases will expire and the tasks run again",
      );
      this.outcomes.length = 0;
    }
    for (const t of this.timers) clearInterval(t);
    this.offEvents?.();
    this.offWake?.();
    // A heartbeat or registration begun before the stop must not mark the worker active after it.
    await Promise.all(this.background);
    await this.reregistering;
    try {
      if (this.o.unregisterOnStop) {
        await unregisterWorker(this.db, this.id);
      } else if (
        await updateWorkerHeartbeat(this.db, { workerId: this.id, status: "offline", currentTaskId: null })
      )
        this.db.events.publish([{ type: "worker.offline", workerId: this.id }]);
    } catch (err) {
      this.log.error({ workerId: this.id, err: String(err) }, "could not mark the worker offline");
    }
    this.log.info({ workerId: this.id, ...this.stats }, "worker stopped");
  }
}
