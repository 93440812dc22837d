import type { Command } from "commander";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";

/** `hive migrate`: creates the database if needed and applies every pending migration. */
export function registerMigrate(program: Command, io: Io): void {
  program
    .command("migrate")
    .description("create the database if needed and apply pending migrations")
    .action(async (_opts, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const location = await withDatabase(ctx.backend, async (db) => db.location, true);
      ctx.emit({ migrated: true, backend: ctx.backend.kind, location }, () => `migrated ${location}`);
    });
}
