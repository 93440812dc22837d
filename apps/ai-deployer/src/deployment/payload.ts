import { existsSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { formatZodIssues } from "@hive/models";
import { z } from "zod";
import { BadDeploymentError } from "../strategies/types.ts";

const RelativePath = z
  .string()
  .min(1, "must not be empty")
  .max(500)
  .refine((p) => !isAbsolute(p), "must be relative to the deployer's root")
  .refine((p) => !p.split(/[\\/]/).includes(".."), "must not contain '..'");

const HealthCheckSchema = z
  .strictObject({
    command: z.array(z.string().min(1)).min(1).optional(),
    url: z.string().url().optional(),
    timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
    retries: z.number().int().min(0).max(20).default(0),
  })
  .refine((h) => h.command || h.url, "needs a command or a url");

const Argv = z.array(z.string()).min(1, "a command needs at least a program");

export const LocalPayloadSchema = z.object({
  strategy: z.literal("local"),
  /** Directory of the build artifact (absolute, or relative to the deployer's working directory). */
  artifact: z.string().min(1),
  /** App folder under the root: releases/ and the `current` symlink live there. */
  target: RelativePath,
  healthCheck: HealthCheckSchema.optional(),
  keepReleases: z.number().int().min(1).max(100).default(5),
});

export const CommandPayloadSchema = z.object({
  strategy: z.literal("command"),
  commands: z.array(z.union([Argv, z.strictObject({ argv: Argv, cwd: RelativePath.optional() })])).max(100),
  env: z.record(z.string(), z.string()).default({}),
  timeoutMs: z.number().int().min(10).max(3_600_000).default(60_000),
});

export const DeploymentPayloadSchema = z.discriminatedUnion("strategy", [
  LocalPayloadSchema,
  CommandPayloadSchema,
]);
export type DeploymentPayload = z.output<typeof DeploymentPayloadSchema>;
export type LocalPayload = z.output<typeof LocalPayloadSchema>;
export type CommandPayload = z.output<typeof CommandPayloadSchema>;

/** Throws BadDeploymentError unless `path` (resolved under root, symlinks followed) stays inside root. */
export function insideRoot(root: string, path: string, what: string): string {
  const realRoot = realpathSync(root);
  const full = resolve(realRoot, path);
  let real = full;
  // Follow the longest existing prefix: a symlink anywhere on the path must not lead out.
  let probe = full;
  while (!existsSync(probe) && probe !== realRoot) probe = resolve(probe, "..");
  if (existsSync(probe)) real = resolve(realpathSync(probe), relative(probe, full));
  const rel = relative(realRoot, real);
  if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel))
    throw new BadDeploymentError(`${what} "${path}" resolves outside the deployment root`);
  return real;
}

/** Validates a deployment task's payload against the deployer's root. */
export function parseDeploymentPayload(payload: unknown, root: string): DeploymentPayload {
  const r = DeploymentPayloadSchema.safeParse(payload ?? {});
  if (!r.success) throw new BadDeploymentError(`bad deployment payload: ${formatZodIssues(r.error)}`);
  const p = r.data;
  if (p.strategy === "local") {
    const artifact = resolve(p.artifact);
    if (!existsSync(artifact) || !statSync(artifact).isDirectory())
      throw new BadDeploymentError(
        `bad deployment payload: artifact: "${p.artifact}" is not an existing directory`,
      );
    insideRoot(root, p.target, "target");
    return { ...p, artifact };
  }
  for (const c of p.commands) if (!Array.isArray(c) && c.cwd) insideRoot(root, c.cwd, "cwd");
  return p;
}
