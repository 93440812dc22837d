import type { CommandPayload } from "../deployment/payload.ts";
import { insideRoot } from "../deployment/payload.ts";
import { commandEnv, runCommand } from "./process.ts";
import { DeploymentAbortedError, DeploymentFailedError, type DeployStrategy } from "./types.ts";

/** Runs the configured commands in order, each with a timeout; the first failure stops the deployment. */
export const commandStrategy: DeployStrategy<CommandPayload> = {
  name: "command",
  async deploy(payload, ctx) {
    let output = "";
    for (const [i, c] of payload.commands.entries()) {
      const argv = Array.isArray(c) ? c : c.argv;
      const cwd = !Array.isArray(c) && c.cwd ? insideRoot(ctx.root, c.cwd, "cwd") : ctx.root;
      ctx.log(`$ ${argv.join(" ")}`);
      const r = await runCommand(argv, {
        cwd,
        env: commandEnv(payload.env),
        timeoutMs: payload.timeoutMs,
        signal: ctx.signal,
        onLine: ctx.log,
      });
      output += r.output;
      if (r.aborted)
        throw new DeploymentAbortedError(`command ${i + 1} aborted: ${argv.join(" ")}`, false, null);
      if (r.timedOut)
        throw new DeploymentFailedError(
          `command ${i + 1} timed out after ${payload.timeoutMs} ms: ${argv.join(" ")}`,
          false,
          null,
        );
      if (r.code !== 0)
        throw new DeploymentFailedError(
          `command ${i + 1} exited with code ${r.code}: ${argv.join(" ")}\n${r.output.slice(-2000)}`,
          false,
          null,
        );
    }
    if (payload.commands.length === 0) ctx.log("no commands to run");
    return { releaseId: ctx.releaseId, previousReleaseId: null, rolledBack: false, output };
  },
};
