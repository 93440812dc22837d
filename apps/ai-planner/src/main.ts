/**
 * ai-planner. `hive-planner [--once] [flags]` runs the daemon; `hive-planner submit --description
 * … [--priority N] [--requestor R] [--context JSON]` enqueues a request and prints it as JSON.
 */
import { closeDatabase, HiveError, openDatabase } from "@hive/orchestration";
import { ZodError } from "zod";
import { loadPlannerConfig } from "./config.ts";
import { PlannerDaemon } from "./daemon.ts";
import { createLogger } from "./logger.ts";
import { createPlanner } from "./planners/index.ts";
import { parseSubmitArgs, submitRequest } from "./submit.ts";

async function submit(argv: string[]): Promise<number> {
  const args = parseSubmitArgs(argv);
  const db = await openDatabase({ path: args.db });
  try {
    const request = await submitRequest(db, args);
    process.stdout.write(`${JSON.stringify(request)}\n`);
    return 0;
  } finally {
    await closeDatabase(db);
  }
}

async function daemon(argv: string[]): Promise<number> {
  const config = loadPlannerConfig(argv, process.env);
  const log = createLogger("ai-planner", config.logLevel, { workerId: config.agentId });
  const planner = createPlanner(
    config.planner === "llm"
      ? {
          kind: "llm",
          provider: config.llm.provider,
          apiKey: config.llm.apiKey,
          baseUrl:
            config.llm.baseUrl ??
            (config.llm.provider === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1"),
          model:
            config.llm.model ?? (config.llm.provider === "anthropic" ? "claude-sonnet-4-5" : "gpt-4o-mini"),
          maxAttempts: config.llm.maxAttempts,
          timeoutMs: config.llm.timeoutMs,
        }
      : { kind: "builtin" },
  );
  const db = await openDatabase({ path: config.dbPath, url: config.dbPath ? undefined : config.databaseUrl });
  const d = new PlannerDaemon(db, planner, config, log);
  const onSignal = (sig: string) => {
    log.info({ signal: sig }, "draining");
    void d.stop();
  };
  process.once("SIGINT", () => onSignal("SIGINT"));
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  await d.start();
  await d.done();
  await d.stop();
  await closeDatabase(db);
  return 0;
}

const [first, ...rest] = process.argv.slice(2);
try {
  process.exitCode = first === "submit" ? await submit(rest) : await daemon(process.argv.slice(2));
} catch (err) {
  if (err instanceof ZodError) {
    console.error(
      `invalid configuration: ${err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
    process.exitCode = 2;
  } else if (err instanceof HiveError) {
    console.error(`${err.name}: ${err.message}`);
    process.exitCode = err.name === "ValidationError" ? 2 : 1;
  } else {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  }
}
