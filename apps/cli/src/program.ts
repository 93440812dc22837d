import { Command } from "commander";
import { registerDashboard } from "./commands/dashboard.ts";
import { registerMigrate } from "./commands/migrate.ts";
import { registerPlans } from "./commands/plans.ts";
import { registerPurge } from "./commands/purge.ts";
import { registerRequests } from "./commands/requests.ts";
import { registerStatus } from "./commands/status.ts";
import { registerTasks } from "./commands/tasks.ts";
import { registerWorkers } from "./commands/workers.ts";
import type { Io } from "./context.ts";

/**
 * The `hive` program. Global flags (before or after the command name) pick the database and the
 * output mode; commander errors throw (exitOverride) so that main maps them to exit code 2.
 */
export function createProgram(io: Io): Command {
  const program = new Command("hive")
    .description("operate a Hive Orchestration database: tasks, plans, workers, dashboard")
    .version("0.1.0")
    .option("--db <path>", "SQLite database file (default $HIVE_DB_PATH, else hive/db/hive-internal.db)")
    .option("--url <url>", "PostgreSQL connection URL (default $HIVE_DATABASE_URL)")
    .option("--schema <name>", "PostgreSQL schema (default $HIVE_DATABASE_SCHEMA, else public)")
    .option("--json", "machine-readable JSON on stdout")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  // Registered after exitOverride/configureOutput: subcommands inherit both, so their usage
  // errors throw too (exit code 2, not commander's 1).
  registerMigrate(program, io);
  registerStatus(program, io);
  registerTasks(program, io);
  registerWorkers(program, io);
  registerPlans(program, io);
  registerRequests(program, io);
  registerPurge(program, io);
  registerDashboard(program, io);
  return program;
}
