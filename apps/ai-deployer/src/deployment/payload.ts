import { existsSync, realpathSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { formatZodIssues } from "@hive/models";
import { z } from "zod";
import { BadDeploymentError } from "../strategies/types.ts";

/** The strategies this deployer knows; a payload naming another fails at once. */
export const STRATEGY_NAMES = ["local", "command"] as const;

const RelativePath = z
  .string()
  .min(1, "must not be empty")
  .max(500)
  .refine((p) => !isAbsolute(p), "must be relative to the deployer's root")
  .refine((p) => !p.split(/[\\/]/).includes(".."), "must not contain '..'");

const HealthCheckSchema = z
  .strictObject({
    /** argv (no shell), run in the new release's directory; exit code 0 is healthy. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Fetched with GET; a 2xx answer is healthy. */
    url: z.url().optional(),
    timeoutMs: z.number().int().min(10).max(600_000).default(10_000),
    /** Extra tries after a failed one (default 0). */
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
  /** Releases kept after a successful deployment, the new one included (default 5). */
  keepReleases: z.number().int().min(1).max(100).default(5),
});

export const CommandPayloadSchema = z.object({
  strategy: z.literal("command"),
  /** Run in order (argv, no shell); `cwd` is relative to the root and created when missing. */
  commands: z.array(z.union([Argv, z.strictObject({ argv: Argv, cwd: RelativePath.optional() })])).max(100),
  /** Added to a small base environment (PATH, HOME, LANG). */
  env: z.record(z.string(), z.string()).default({}),
  /** Per command. */
  timeoutMs: z.number().int().min(10).max(3_600_000).default(60_000),
});

export const DeploymentPayloadSchema = z.discriminatedUnion("strategy", [
  LocalPayloadSchema,
  CommandPayloadSchema,
]);
export type DeploymentPayload = z.output<typeof DeploymentPayloadSchema>;
export type LocalPayload = z.output<typeof LocalPayloadSchema>;
export type CommandPayload = z.output<typeof CommandPayloadSchema>;

/** True when `child` is `parent` or lies below it (both absolute, resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/**
 * Resolves `path` under root and returns its real location, following every symlink on the
 * existing part of the path; throws BadDeploymentError unless that location lies strictly inside
 * the root (the root itself is refused too: deployments get a folder of their own).
 */
export function insideRoot(root: string, path: string, what: string): string {
  const realRoot = realpathSync(root);
  const full = resolve(realRoot, path);
  // Follow the longest existing prefix: a symlink anywhere on the path must not lead out.
  let probe = full;
  while (!existsSync(probe) && probe !== realRoot) probe = resolve(probe, "..");
  const real = resolve(realpathSync(probe), relative(probe, full));
  if (real === realRoot || !isWithin(realRoot, real))
    throw new BadDeploymentError(`${what} "${path}" resolves outside the deployment root`);
  return real;
}

/**
 * Validates a deployment task's payload against the deployer's root: schema, known strategy,
 * existing artifact directory, paths that stay inside the root. Throws BadDeploymentError.
 */
export function parseDeploymentPayload(payload: unknown, root: string): DeploymentPayload {
  const strategy = (payload as { strategy?: unknown } | null)?.strategy;
  if (typeof strategy === "string" && !(STRATEGY_NAMES as readonly string[]).includes(strategy))
    throw new BadDeploymentError(
      `bad deployment payload: unknown deployment strategy "${strategy}" (known: ${STRATEGY_NAMES.join(", ")})`,
    );
  const r = DeploymentPayloadSchema.safeParse(payload ?? {});
  if (!r.success) throw new BadDeploymentError(`bad deployment payload: ${formatZodIssues(r.error)}`);
  const p = r.data;
  if (p.strategy === "local") {
    const artifact = resolve(p.artifact);
    if (!existsSync(artifact) || !statSync(artifact).isDirectory())
      throw new BadDeploymentError(
        `bad deployment payload: artifact: "${p.artifact}" is not an existing directory`,
      );
    const target = insideRoot(root, p.target, "target");
    // Copying a directory into itself never ends well: refuse a target inside the artifact.
    if (isWithin(realpathSync(artifact), target))
      throw new BadDeploymentError(`bad deployment payload: target "${p.target}" lies inside the artifact`);
    return { ...p, artifact: realpathSync(artifact) };
  }
  for (const c of p.commands) if (!Array.isArray(c) && c.cwd) insideRoot(root, c.cwd, "cwd");
  return p;
}
