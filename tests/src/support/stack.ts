import { join } from "node:path";
import { type Db, listWorkers } from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { type Daemon, type DaemonPool, entries } from "./daemons.ts";

interface Where {
  pool: DaemonPool;
  dbPath: string;
  dir: string;
}

export interface AgentOptions {
  /** Worker id; also the daemon's name in the logs. */
  id: string;
  concurrency?: number;
  leaseMs?: number;
  heartbeatMs?: number;
  reaperMs?: number;
  workerTimeoutMs?: number;
  workMs?: number;
  backoffMs?: number;
  /** Subtask ids whose simulated agent always fails. */
  failSubtasks?: string[];
}

/** An agent worker process (apps/main-job/src/agentWorker.ts) on the test's database. */
export function startAgent(t: Where, o: AgentOptions): Daemon {
  const args = ["--db", t.dbPath, "--worker-id", o.id];
  const flags: [string, number | string[] | undefined][] = [
    ["--concurrency", o.concurrency],
    ["--lease-ms", o.leaseMs],
    ["--heartbeat-ms", o.heartbeatMs],
    ["--reaper-ms", o.reaperMs],
    ["--worker-timeout-ms", o.workerTimeoutMs],
    ["--work-ms", o.workMs],
    ["--backoff-ms", o.backoffMs],
    ["--fail-subtasks", o.failSubtasks],
  ];
  for (const [flag, v] of flags)
    if (v !== undefined) args.push(flag, Array.isArray(v) ? v.join(",") : String(v));
  return t.pool.start(o.id, entries.agent, args);
}

/** A planner daemon (built-in planner) polling every 100 ms. */
export function startPlanner(t: Where, id: string, extra: string[] = []): Daemon {
  return t.pool.start(id, entries.planner, [
    "--db",
    t.dbPath,
    "--agent-id",
    id,
    "--poll-ms",
    "100",
    ...extra,
  ]);
}

/** The deployer daemon, deploying under `<dir>/deployments`. */
export function startDeployer(t: Where, id: string, extra: string[] = []): Daemon {
  return t.pool.start(id, entries.deployer, [
    "--db",
    t.dbPath,
    "--worker-id",
    id,
    "--root",
    join(t.dir, "deployments"),
    "--backoff-ms",
    "200",
    ...extra,
  ]);
}

/** Waits until every worker id is registered and active (its process is up and polling). */
export async function waitForWorkers(db: Db, ids: string[], timeoutMs = 60_000): Promise<void> {
  await waitUntil(
    async () => {
      const active = new Set((await listWorkers(db, "active")).map((w) => w.id));
      return ids.every((id) => active.has(id));
    },
    `workers ${ids.join(", ")} to be active`,
    timeoutMs,
  );
}
