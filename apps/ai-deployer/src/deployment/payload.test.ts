import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BadDeploymentError } from "../strategies/types.ts";
import { makeArtifact, useSandbox } from "../testing/fixtures.ts";
import { insideRoot, parseDeploymentPayload } from "./payload.ts";

const s = useSandbox();

const local = (over: Record<string, unknown>) => ({
  strategy: "local",
  artifact: makeArtifact(s, "app", { "index.html": "hi" }),
  target: "app",
  ...over,
});

function rejection(payload: unknown): string {
  try {
    parseDeploymentPayload(payload, s.root);
  } catch (err) {
    expect(err).toBeInstanceOf(BadDeploymentError);
    return (err as Error).message;
  }
  throw new Error("the payload was accepted");
}

describe("deployment payloads", () => {
  it("accepts a local deployment to a nested target and resolves the artifact", () => {
    const p = parseDeploymentPayload(local({ target: "apps/web" }), s.root);
    expect(p).toMatchObject({ strategy: "local", target: "apps/web", keepReleases: 5 });
    expect((p as { artifact: string }).artifact).toBe(join(s.dir, "artifacts", "app"));
  });

  it("names an unknown strategy and the known ones", () => {
    expect(rejection({ strategy: "blue-green" })).toBe(
      'bad deployment payload: unknown deployment strategy "blue-green" (known: local, command)',
    );
    expect(rejection(null)).toMatch(/^bad deployment payload: strategy: /);
  });

  it("refuses a missing artifact, a file as artifact, and a target inside the artifact", () => {
    expect(rejection(local({ artifact: join(s.dir, "nope") }))).toMatch(
      /artifact: ".*nope" is not an existing directory/,
    );
    writeFileSync(join(s.dir, "file"), "x");
    expect(rejection(local({ artifact: join(s.dir, "file") }))).toMatch(/is not an existing directory/);
    expect(rejection(local({ artifact: s.root, target: "app" }))).toMatch(/lies inside the artifact/);
  });

  it("refuses targets that leave the root by '..', an absolute path, or the root itself", () => {
    expect(rejection(local({ target: "../outside" }))).toMatch(/target: must not contain '\.\.'/);
    expect(rejection(local({ target: "a/../../outside" }))).toMatch(/must not contain '\.\.'/);
    expect(rejection(local({ target: s.outside }))).toMatch(/target: must be relative/);
    expect(rejection(local({ target: "." }))).toMatch(/resolves outside the deployment root/);
  });

  it("refuses targets and command folders that leave the root through a symlink", () => {
    symlinkSync(s.outside, join(s.root, "escape"));
    expect(rejection(local({ target: "escape" }))).toBe(
      'target "escape" resolves outside the deployment root',
    );
    expect(rejection(local({ target: "escape/deeper/app" }))).toMatch(/resolves outside the deployment root/);
    expect(rejection({ strategy: "command", commands: [{ argv: ["true"], cwd: "escape/work" }] })).toMatch(
      /^cwd "escape\/work" resolves outside the deployment root/,
    );
    // A symlink that stays inside the root is fine.
    mkdirSync(join(s.root, "real"));
    symlinkSync(join(s.root, "real"), join(s.root, "alias"));
    expect(insideRoot(s.root, "alias/app", "target")).toBe(join(s.root, "real", "app"));
  });

  it("checks command payloads: argv lists, timeout bounds, string env values", () => {
    expect(rejection({ strategy: "command", commands: [[]] })).toMatch(/a command needs at least a program/);
    expect(rejection({ strategy: "command", commands: [], timeoutMs: 1 })).toMatch(/timeoutMs/);
    expect(rejection({ strategy: "command", commands: [], env: { N: 1 } })).toMatch(/env\.N/);
    expect(parseDeploymentPayload({ strategy: "command", commands: [["true"]] }, s.root)).toMatchObject({
      env: {},
      timeoutMs: 60_000,
    });
  });
});
