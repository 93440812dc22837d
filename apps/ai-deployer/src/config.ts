import { mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { integerText } from "@hive/models";
import { databaseFromFlags, isPostgresUrl } from "@hive/orchestration";
import { z } from "zod";

/** The deployer daemon's configuration, parsed once from flags and environment. */
export const DeployerConfigSchema = z
  .object({
    /** SQLite file (--db, HIVE_DB_PATH); wins over databaseUrl, except $HIVE_DB_PATH over a --database-url flag. */
    dbPath: z.string().min(1).optional(),
    /** PostgreSQL URL (--database-url, HIVE_DATABASE_URL). */
    databaseUrl: z.string().min(1).optional(),
    /** Worker id (default deployer-<pid>-<random>). */
    workerId: z.string().min(1),
    /** Every release is written under this directory; nothing is ever written outside it. */
    root: z.string().min(1),
    /** Deployments run at once (default 1); deployments of one target still run one at a time. */
    concurrency: integerText({ min: 1, max: 64 }).default(1),
    /** Lease of a claimed deployment (default 30 s), renewed every heartbeatMs while it runs. */
    leaseMs: integerText({ min: 200 }).default(30_000),
    /** Lease renewal and worker heartbeat period (default leaseMs / 3). */
    heartbeatMs: integerText({ min: 50 }).optional(),
    /** Deployments still running this long after SIGTERM are aborted (and rolled back). */
    drainTimeoutMs: integerText({ min: 0 }).default(30_000),
    /** First retry backoff of a failed deployment, doubling per attempt (default 1 s). */
    backoffBaseMs: integerText({ min: 0 }).default(1000),
    /** Exit once nothing runs and no deployment task this deployer can take is ready (retries waiting for their backoff are not waited for). */
    once: z.boolean().default(false),
    /**
     * Create the database if it is missing and apply pending migrations (default false). Without
     * it a database that does not exist or is not fully migrated is refused: a mistyped --db must
     * not become a new empty database the deployer waits on forever.
     */
    migrate: z.boolean().default(false),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  // Renewed no more often than it lasts, a lease runs out under any deployment longer than it:
  // the reaper hands the task out again, the first result is rejected and the work redone.
  .refine((c) => c.heartbeatMs === undefined || c.heartbeatMs < c.leaseMs, {
    path: ["heartbeatMs"],
    message: "must be shorter than leaseMs (the lease is renewed every heartbeatMs)",
  })
  // The driver reads a URL without a postgres:// scheme as a host name ("notaurl" fails as a DNS
  // lookup of "base", exit 1): a URL that would be used is checked here, as a usage error (exit 2).
  .refine((c) => c.dbPath !== undefined || c.databaseUrl === undefined || isPostgresUrl(c.databaseUrl), {
    path: ["databaseUrl"],
    message: "must be a PostgreSQL URL (postgres://user@host:5432/db) (--database-url, HIVE_DATABASE_URL)",
  });
export type DeployerConfig = z.infer<typeof DeployerConfigSchema>;

/** Flags that contradict each other (exit code 2, like an invalid flag). */
export class ConfigUsageError extends Error {
  override name = "ConfigUsageError";
}

/** A --root (or HIVE_DEPLOY_ROOT) that is not a directory and cannot be made one (exit code 2). */
export class InvalidRootError extends Error {
  override name = "InvalidRootError";
}

/**
 * The absolute deployment root, created if missing. Throws InvalidRootError naming the field when
 * the path is a file, or cannot be created (a file on the way, no permission…).
 */
export function prepareRoot(root: string): string {
  const abs = resolve(root);
  const refuse = (why: string, cause?: unknown) =>
    new InvalidRootError(`root: "${abs}" ${why} (--root, HIVE_DEPLOY_ROOT)`, { cause });
  let isDir: boolean | undefined;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // Missing (or unreadable): creating it below says which.
  }
  if (isDir === false) throw refuse("exists and is not a directory");
  if (isDir === undefined) {
    try {
      mkdirSync(abs, { recursive: true });
    } catch (err) {
      throw refuse(
        `cannot be created: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        err,
      );
    }
  }
  return abs;
}

/** Usage of the daemon's flags, printed by `--help`. */
export const DEPLOYER_USAGE = `hive-deployer [flags]           run the deployer daemon (deployment tasks, under --root)

  --db <file>              SQLite database (env HIVE_DB_PATH); must exist and be migrated (\`hive migrate\`)
  --database-url <url>     PostgreSQL instead (env HIVE_DATABASE_URL); not with --db
  --migrate                create the database if missing and apply pending migrations
  --root <dir>             every release is written under it (env HIVE_DEPLOY_ROOT, default hive/deployments)
  --worker-id <id>         worker id (env HIVE_DEPLOYER_ID; default deployer-<pid>-<random>)
  --concurrency <n>        deployments at once (env HIVE_DEPLOYER_CONCURRENCY, default 1)
  --lease-ms <n>           lease of a claimed deployment (env HIVE_DEPLOYER_LEASE_MS, default 30000)
  --heartbeat-ms <n>       lease renewal and heartbeat, below --lease-ms (env HIVE_DEPLOYER_HEARTBEAT_MS, default lease/3)
  --drain-timeout-ms <n>   grace for running deployments on SIGTERM (env HIVE_DEPLOYER_DRAIN_MS, default 30000)
  --backoff-ms <n>         first retry backoff, doubling (env HIVE_DEPLOYER_BACKOFF_MS, default 1000)
  --once                   exit when nothing is left to deploy
  --log-level <level>      pino level (env HIVE_LOG_LEVEL, default info)
  -h, --help               this text
`;

/**
 * Parses flags (first) and environment into the config; throws ZodError, a parseArgs error, or a
 * ConfigUsageError for --db with --database-url.
 */
export function loadDeployerConfig(argv: string[], processEnv: NodeJS.ProcessEnv): DeployerConfig {
  // An empty variable (FOO= in a shell or a compose file) means "not set": not an empty path,
  // and not 0 (z.coerce would turn "" into a 0 ms drain, lease or backoff).
  const env = Object.fromEntries(Object.entries(processEnv).filter(([, v]) => v !== undefined && v !== ""));
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: "string" },
      "database-url": { type: "string" },
      "worker-id": { type: "string" },
      root: { type: "string" },
      concurrency: { type: "string" },
      "lease-ms": { type: "string" },
      "heartbeat-ms": { type: "string" },
      "drain-timeout-ms": { type: "string" },
      "backoff-ms": { type: "string" },
      once: { type: "boolean" },
      migrate: { type: "boolean" },
      "log-level": { type: "string" },
    },
    strict: true,
  });
  // As `hive` does: silently preferring one of two explicit backends hid a mistake.
  if (values.db !== undefined && values["database-url"] !== undefined)
    throw new ConfigUsageError("give --db (SQLite) or --database-url (PostgreSQL), not both");
  return DeployerConfigSchema.parse({
    ...databaseFromFlags({ db: values.db, databaseUrl: values["database-url"] }, env),
    workerId:
      values["worker-id"] ??
      env.HIVE_DEPLOYER_ID ??
      `deployer-${process.pid}-${crypto.randomUUID().slice(0, 6)}`,
    root: values.root ?? env.HIVE_DEPLOY_ROOT ?? "hive/deployments",
    concurrency: values.concurrency ?? env.HIVE_DEPLOYER_CONCURRENCY,
    leaseMs: values["lease-ms"] ?? env.HIVE_DEPLOYER_LEASE_MS,
    heartbeatMs: values["heartbeat-ms"] ?? env.HIVE_DEPLOYER_HEARTBEAT_MS,
    drainTimeoutMs: values["drain-timeout-ms"] ?? env.HIVE_DEPLOYER_DRAIN_MS,
    backoffBaseMs: values["backoff-ms"] ?? env.HIVE_DEPLOYER_BACKOFF_MS,
    once: values.once ?? false,
    migrate: values.migrate ?? false,
    logLevel: values["log-level"] ?? env.HIVE_LOG_LEVEL,
  });
}
