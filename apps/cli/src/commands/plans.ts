import { integerText, PlanStatusSchema } from "@hive/models";
import { PlanNotFoundError } from "@hive/orchestration";
import { type Command, Option } from "commander";
import { z } from "zod";
import { withDatabase } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { EXPORT_FORMATS, exportDag } from "../dag/export.ts";
import { drawDag } from "../dag/terminal.ts";
import { fields, table } from "../format/table.ts";
import { ago, progressBar, type Style, stateName } from "../format/text.ts";
import { loadPlanSummaries, loadPlanView, type PlanView } from "../views/plans.ts";

const ListOptionsSchema = z.strictObject({
  status: PlanStatusSchema.optional(),
  limit: integerText({ min: 1, max: 10_000 }).default(50),
});
const ExportOptionsSchema = z.strictObject({ format: z.enum(EXPORT_FORMATS) });

/** `hive plans list|show|export`. */
export function registerPlans(program: Command, io: Io): void {
  const plans = program.command("plans").description("execution plans and their DAGs");

  plans
    .command("list")
    .description("plans, newest first, with their progress")
    .option("-s, --status <status>", `one of ${PlanStatusSchema.options.join(", ")}`)
    .option("-n, --limit <n>", "at most this many", "50")
    .action(async (raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ListOptionsSchema.parse(raw);
      const rows = await withDatabase(ctx.backend, (db) => loadPlanSummaries(db, o));
      const now = Date.now();
      ctx.emit(rows, () =>
        rows.length === 0
          ? "no plans"
          : table(rows, [
              { header: "plan", cell: (p) => p.id, max: 40 },
              { header: "status", cell: (p) => p.status },
              { header: "progress", cell: (p) => progressBar(p.progressPercent, 10) },
              { header: "done", cell: (p) => `${p.completed}/${p.total}` },
              { header: "running", cell: (p) => String(p.active) },
              { header: "failed", cell: (p) => String(p.failed) },
              // Apart from "failed", as `plans show`, --json and the dashboard count them: an
              // upstream_failed or cancelled subtask did not fail.
              { header: "cannot run", cell: (p) => String(p.blocked) },
              { header: "request", cell: (p) => p.description ?? "-", max: 40 },
              { header: "generated", cell: (p) => ago(p.generatedAt, now) },
            ]),
      );
    });

  plans
    .command("show")
    .description("one plan: its progress and its DAG, each node with its state")
    .argument("<planId>")
    .action(async (planId: string, _raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const view = await withDatabase(ctx.backend, (db) => loadPlanView(db, planId));
      if (!view) throw new PlanNotFoundError(planId);
      ctx.emit(view, () => renderPlan(view, ctx.style));
    });

  plans
    .command("export")
    .description("the plan's DAG as Mermaid or Graphviz DOT source, nodes coloured by state")
    .argument("<planId>")
    .addOption(
      new Option("-f, --format <format>", "output format").choices(EXPORT_FORMATS).makeOptionMandatory(),
    )
    .action(async (planId: string, raw, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = ExportOptionsSchema.parse(raw);
      const view = await withDatabase(ctx.backend, (db) => loadPlanView(db, planId));
      if (!view) throw new PlanNotFoundError(planId);
      const source = exportDag(view.dag, o.format, view.id);
      if (ctx.json) ctx.emit({ planId: view.id, format: o.format, source }, () => source);
      else io.stdout(source);
    });
}

function renderPlan(v: PlanView, style: Style): string {
  const now = Date.now();
  const states = new Map<string, number>();
  for (const n of v.dag.nodes) states.set(n.state, (states.get(n.state) ?? 0) + 1);
  return [
    fields([
      ["plan", v.id],
      ["status", v.status],
      ["request", `${v.requestId}${v.description ? `: ${v.description.split("\n")[0]}` : ""}`],
      ["progress", `${progressBar(v.progressPercent)}  ${v.completed}/${v.total} completed`],
      ["subtasks", [...states].map(([s, n]) => `${n} ${stateName(s, style)}`).join(", "), "safe"],
      ["on failure", v.onFailure],
      ["generated", ago(v.generatedAt, now)],
    ]),
    "",
    drawDag(v.dag, style),
  ].join("\n");
}
