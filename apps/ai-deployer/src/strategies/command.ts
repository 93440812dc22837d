import { mkdirSync } from "node:fs";
import type { CommandPayload } from "../deployment/payload.ts";
import { insideRoot } from "../deployment/payload.ts";
import { commandEnv, runCommand } from "./process.ts";
import {
  type CommandSummary,
  DeploymentAbortedError,
  DeploymentFailedError,
  type DeployStrategy,
} from "./types.ts";

/**
 * Runs the configured commands in order (argv, no shell), each with the payload's timeout and
 * environment, in the root or a folder under it; the first failure stops the deployment. Output
 * lines go to the attempt's log, exit codes and durations to the result.
 */
export const commandStrategy: DeployStrategy<CommandPayload> = {
  name: "command",
  async deploy(payload, ctx) {
    const commands: CommandSummary[] = [];
    for (const [i, c] of payload.commands.entries()) {
      const argv = Array.isArray(c) ? c : c.argv;
      const cwd = !Array.isArray(c) && c.cwd ? insideRoot(ctx.root, c.cwd, "cwd") : ctx.root;
      mkdirSync(cwd, { recursive: true });
      const what = `command ${i + 1} (${argv.join(" ")})`;
      if (ctx.signal.aborted)
        throw new DeploymentAbortedError(`deployment aborted before ${what}`, false, null);
      ctx.log(`$ ${argv.join(" ")}`);
      const started = Date.now();
      const r = await runCommand(argv, {
        cwd,
        env: commandEnv(payload.env),
        timeoutMs: payload.timeoutMs,
        signal: ctx.signal,
        onLine: ctx.log,
      });
      commands.push({ argv, exitCode: r.code, durationMs: Date.now() - started });
      if (r.aborted) throw new DeploymentAbortedError(`deployment aborted during ${what}`, false, null);
      if (r.timedOut)
        throw new DeploymentFailedError(`${what} timed out after ${payload.timeoutMs} ms`, false, null);
      if (r.error) throw new DeploymentFailedError(`${what} could not start: ${r.error}`, false, null);
      if (r.code !== 0) {
        const tail = r.output.trim().slice(-2000);
        throw new DeploymentFailedError(
          `${what} exited with code ${r.code}${tail ? `: ${tail}` : ""}`,
          false,
          null,
        );
      }
    }
    if (payload.commands.length === 0) ctx.log("no commands to run");
    return { releaseId: ctx.releaseId, previousReleaseId: null, commands };
  },
};
