import { integerText } from "@hive/models";
import { purgeFinished } from "@hive/orchestration";
import type { Command } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "30d", "12h", "15m", "45s", "500ms" or "0" as milliseconds. */
const AgeSchema = z
  .string()
  .regex(/^(0|\d+(ms|s|m|h|d))$/, 'must be a number with a unit (ms, s, m, h, d), like "30d", or 0')
  .transform((v) => {
    const m = /^(\d+)(ms|s|m|h|d)?$/.exec(v)!;
    return Number(m[1]) * UNIT_MS[(m[2] ?? "ms") as keyof typeof UNIT_MS];
  })
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER, "is too large"));

const PurgeOptionsSchema = z.strictObject({
  olderThan: AgeSchema,
  batch: integerText({ min: 1, max: 100_000 }).default(1000),
});

/** `hive purge --older-than 30d`: the retention policy, run by hand or from cron. */
export function registerPurge(program: Command, io: Io): void {
  program
    .command("purge")
    .description(
      "delete finished work older than an age: standalone tasks (completed, failed, cancelled, upstream_failed) with their runs, finished plans whole, answered planning requests; work something unfinished depends on stays. Counts: `tasks` = standalone tasks (in no plan); a plan's tasks go with it and are counted only in `plans`",
    )
    .requiredOption("--older-than <age>", 'finished longer ago than this, like "30d", "12h" or "0" for all')
    .option("--batch <n>", "rows of each kind per transaction (default 1000)")
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = PurgeOptionsSchema.parse(raw);
      const total = { tasks: 0, plans: 0, planningRequests: 0 };
      await withDatabase(ctx.backend, async (db) => {
        // One bounded transaction per call, so writers are never held up for long.
        for (;;) {
          const r = await purgeFinished(db, { olderThanMs: o.olderThan, limit: o.batch });
          total.tasks += r.tasks.length;
          total.plans += r.plans.length;
          total.planningRequests += r.planningRequests.length;
          if (!r.more) break;
        }
      });
      // `tasks` counts standalone tasks only: a plan's tasks go with it and are counted in `plans`
      // (purgeFinished does not count them), so the text says so rather than "0 tasks".
      ctx.emit(
        total,
        () =>
          `purged ${total.tasks} standalone tasks, ${total.plans} plans (each with all its tasks), ${total.planningRequests} planning requests`,
      );
    });
}
