import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LocalPayload } from "../deployment/payload.ts";
import { parseDeploymentPayload } from "../deployment/payload.ts";
import {
  isAlive,
  makeArtifact,
  makeControl,
  readTree,
  type Sandbox,
  snapshotTree,
  targetState,
  useSandbox,
  waitUntil,
} from "../testing/fixtures.ts";
import { localStrategy } from "./local.ts";
import { BadDeploymentError, DeploymentAbortedError, DeploymentFailedError } from "./types.ts";

const s = useSandbox();

function deploy(
  s: Sandbox,
  payload: Record<string, unknown>,
  releaseId: string,
  signal = new AbortController().signal,
) {
  const lines: string[] = [];
  const p = parseDeploymentPayload({ strategy: "local", target: "app", ...payload }, s.root) as LocalPayload;
  const done = localStrategy.deploy(p, { root: s.root, releaseId, signal, log: (l) => lines.push(l) });
  return { done, lines };
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("the deployment succeeded");
}

describe("local strategy", () => {
  it("copies the artifact into a new release and points current at it", async () => {
    const artifact = makeArtifact(s, "v1", { "index.html": "<p>v1</p>", "assets/app.js": "console.log(1)" });
    const r = await deploy(s, { artifact }, "r1").done;
    const target = join(s.root, "app");
    expect(r).toEqual({
      releaseId: "r1",
      releasePath: join(target, "releases", "r1"),
      previousReleaseId: null,
    });
    expect(targetState(target)).toEqual({ current: "releases/r1", releases: ["r1"], extras: [] });
    expect(readTree(join(target, "current"))).toEqual(readTree(artifact));

    const v2 = makeArtifact(s, "v2", { "index.html": "<p>v2</p>" });
    expect((await deploy(s, { artifact: v2 }, "r2").done).previousReleaseId).toBe("r1");
    expect(targetState(target)).toEqual({ current: "releases/r2", releases: ["r1", "r2"], extras: [] });
    expect(readFileSync(join(target, "current", "index.html"), "utf8")).toBe("<p>v2</p>");
  });

  it("switches current atomically: a reader process never finds it missing across many deployments", async () => {
    const artifacts = [0, 1, 2].map((i) => makeArtifact(s, `v${i}`, { "version.txt": `v${i}` }));
    await deploy(s, { artifact: artifacts[0] }, "r0").done;
    const file = join(s.root, "app", "current", "version.txt");
    const stopFile = join(s.dir, "stop-reader");
    // Reads as fast as it can until told to stop, prints each change of version, then the totals.
    const reader = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("node:fs"); let reads = 0, errors = 0, last = "";
         while (!fs.existsSync(${JSON.stringify(stopFile)})) {
           try {
             const v = fs.readFileSync(${JSON.stringify(file)}, "utf8");
             if (v !== last) { console.log(v); last = v; }
           } catch { errors++; }
           reads++;
         }
         console.log(JSON.stringify({ reads, errors }));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    reader.stdout.on("data", (d) => {
      out += d;
    });
    const exited = new Promise((r) => reader.once("exit", r));
    const lastSeen = () => out.trim().split("\n").at(-1);
    await waitUntil(() => lastSeen() === "v0", "the reader to read the first release");
    for (let i = 1; i <= 30; i++) {
      await deploy(s, { artifact: artifacts[i % 3], keepReleases: 3 }, `r${i}`).done;
      // Every switch happens while the reader is reading: it has seen the previous one.
      await waitUntil(() => lastSeen() === `v${i % 3}`, `the reader to see release r${i}`);
    }
    writeFileSync(stopFile, "");
    await exited;
    const result = JSON.parse(lastSeen()!) as { reads: number; errors: number };
    expect(result.errors).toBe(0);
    expect(out.trim().split("\n")).toHaveLength(32); // v0, 30 switches, the totals
    expect(targetState(join(s.root, "app"))).toEqual({
      current: "releases/r30",
      releases: ["r28", "r29", "r30"],
      extras: [],
    });
  });

  it("keeps the newest N releases, the new one included", async () => {
    for (const i of [1, 2, 3, 4]) {
      const artifact = makeArtifact(s, `v${i}`, { "index.html": `v${i}` });
      await deploy(s, { artifact, keepReleases: 2 }, `r${i}`).done;
    }
    expect(targetState(join(s.root, "app"))).toEqual({
      current: "releases/r4",
      releases: ["r3", "r4"],
      extras: [],
    });
  });

  it("runs a health check command in the new release and keeps the release when it passes", async () => {
    const artifact = makeArtifact(s, "v1", { "ready.txt": "yes" });
    const control = makeControl(s, "ok");
    const check = [
      process.execPath,
      "-e",
      "process.exit(require('node:fs').existsSync('ready.txt') ? 0 : 3)",
    ];
    const d = deploy(s, { artifact, healthCheck: { command: check } }, "r1");
    await d.done;
    expect(targetState(join(s.root, "app")).current).toBe("releases/r1");
    expect(d.lines).toContain("health check passed");
    expect(control.pids()).toEqual([]);
  });

  it("rolls back to the previous release when the health check command fails", async () => {
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    await deploy(s, { artifact: v1 }, "r1").done;
    const v2 = makeArtifact(s, "v2", { "index.html": "v2" });
    const control = makeControl(s, "bad", { fail: true });
    const d = deploy(s, { artifact: v2, healthCheck: { command: control.argv, retries: 1 } }, "r2");
    const err = await failure(d.done);
    expect(err).toBeInstanceOf(DeploymentFailedError);
    expect(err).not.toBeInstanceOf(DeploymentAbortedError);
    expect(err.message).toBe("health check exited with code 1; rolled back to r1");
    expect((err as DeploymentFailedError).rolledBack).toBe(true);
    expect(control.pids()).toHaveLength(2); // one retry
    // The failed release is gone: it is nothing anyone could roll back to.
    expect(targetState(join(s.root, "app"))).toEqual({
      current: "releases/r1",
      releases: ["r1"],
      extras: [],
    });
    expect(d.lines).toContain("current -> releases/r2 (previous: r1)");
  });

  it("removes current again when the very first release fails its health check", async () => {
    const control = makeControl(s, "bad", { fail: true });
    const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
    const err = await failure(deploy(s, { artifact, healthCheck: { command: control.argv } }, "r1").done);
    expect(err.message).toBe("health check exited with code 1; rolled back to no release");
    expect(targetState(join(s.root, "app"))).toEqual({ current: null, releases: [], extras: [] });
  });

  it("checks health over HTTP: a 2xx keeps the release, a 503 rolls it back", async () => {
    let status = 200;
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.writeHead(status).end("status");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
    try {
      const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
      await deploy(s, { artifact: v1, healthCheck: { url } }, "r1").done;
      expect(targetState(join(s.root, "app")).current).toBe("releases/r1");
      status = 503;
      const v2 = makeArtifact(s, "v2", { "index.html": "v2" });
      const err = await failure(deploy(s, { artifact: v2, healthCheck: { url, retries: 2 } }, "r2").done);
      expect(err.message).toBe(`health check ${url} answered 503; rolled back to r1`);
      expect(seen).toEqual(["/healthz", "/healthz", "/healthz", "/healthz"]);
      expect(targetState(join(s.root, "app"))).toEqual({
        current: "releases/r1",
        releases: ["r1"],
        extras: [],
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("fails a health check URL that does not answer within its timeout", async () => {
    const server = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
      const err = await failure(deploy(s, { artifact, healthCheck: { url, timeoutMs: 300 } }, "r1").done);
      expect(err.message).toMatch(new RegExp(`^health check ${url} failed: .*; rolled back to no release$`));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("kills a health check that outlives its timeout and rolls back", async () => {
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    await deploy(s, { artifact: v1 }, "r1").done;
    const control = makeControl(s, "slow", { hold: true });
    const v2 = makeArtifact(s, "v2", { "index.html": "v2" });
    const err = await failure(
      deploy(s, { artifact: v2, healthCheck: { command: control.argv, timeoutMs: 300 } }, "r2").done,
    );
    expect(err.message).toBe("health check timed out after 300 ms; rolled back to r1");
    expect(control.pids().filter(isAlive)).toEqual([]);
    expect(targetState(join(s.root, "app")).current).toBe("releases/r1");
  });

  it("aborting during the health check kills the check and rolls back", async () => {
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    await deploy(s, { artifact: v1 }, "r1").done;
    const control = makeControl(s, "held", { hold: true });
    const ac = new AbortController();
    const v2 = makeArtifact(s, "v2", { "index.html": "v2" });
    const d = deploy(s, { artifact: v2, healthCheck: { command: control.argv } }, "r2", ac.signal);
    await waitUntil(() => control.pids().length > 0, "the health check to start");
    expect(targetState(join(s.root, "app")).current).toBe("releases/r2");
    ac.abort();
    const err = await failure(d.done);
    expect(err).toBeInstanceOf(DeploymentAbortedError);
    expect(err.message).toBe("deployment aborted during the health check; rolled back to r1");
    expect(control.pids().filter(isAlive)).toEqual([]);
    expect(targetState(join(s.root, "app"))).toEqual({
      current: "releases/r1",
      releases: ["r1"],
      extras: [],
    });
  });

  it("repairs a target left by a deployer killed after the switch, before the next deployment", async () => {
    const v1 = makeArtifact(s, "v1", { "index.html": "v1" });
    await deploy(s, { artifact: v1 }, "r1").done;
    // What a deployer killed during the health check of r2 leaves behind.
    const target = join(s.root, "app");
    mkdirSync(join(target, "releases", "r2"));
    mkdirSync(join(target, "releases", ".tmp-r3-abc"));
    writeFileSync(join(target, ".deploying"), JSON.stringify({ release: "r2", previous: "r1" }));
    symlinkSync("releases/r2", join(target, ".current-zzz"));
    symlinkSync("releases/r2", join(target, "current.new"));
    const { renameSync } = await import("node:fs");
    renameSync(join(target, "current.new"), join(target, "current"));

    const v3 = makeArtifact(s, "v3", { "index.html": "v3" });
    const d = deploy(s, { artifact: v3 }, "r3");
    expect((await d.done).previousReleaseId).toBe("r1");
    expect(d.lines).toContain("recovered from an interrupted deployment of r2: current -> r1");
    expect(targetState(target)).toEqual({ current: "releases/r3", releases: ["r1", "r3"], extras: [] });
  });

  it("runs one deployment of a target at a time and waits for a lock held by another live process", async () => {
    const target = join(s.root, "app");
    mkdirSync(target);
    // A live process other than us "holds" the target.
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 120000)"], { stdio: "ignore" });
    try {
      writeFileSync(join(target, ".deploy.lock"), String(holder.pid));
      const a = makeControl(s, "a", { hold: true });
      const first = deploy(
        s,
        { artifact: makeArtifact(s, "a", { i: "a" }), healthCheck: { command: a.argv } },
        "ra",
      );
      const second = deploy(s, { artifact: makeArtifact(s, "b", { i: "b" }) }, "rb");
      await waitUntil(
        () => first.lines.some((l) => l.startsWith(`waiting for deployer process ${holder.pid}`)),
        "the first deployment to wait for the lock holder",
      );
      expect(targetState(target).releases).toEqual([]);
      holder.kill("SIGKILL");
      await waitUntil(() => a.pids().length > 0, "the first deployment's health check");
      // The second deployment of the same target queues behind the first, in this process.
      expect(targetState(target).current).toBe("releases/ra");
      a.release();
      expect((await first.done).releaseId).toBe("ra");
      expect((await second.done).previousReleaseId).toBe("ra");
      expect(first.lines).toContain(`taking over the lock of deployer process ${holder.pid}, which is gone`);
      expect(targetState(target)).toEqual({ current: "releases/rb", releases: ["ra", "rb"], extras: [] });
    } finally {
      holder.kill("SIGKILL");
    }
  });

  it("refuses to write through a releases/ symlink or over a current that is a directory", async () => {
    const before = snapshotTree(s.outside);
    mkdirSync(join(s.root, "app"));
    symlinkSync(s.outside, join(s.root, "app", "releases"));
    const artifact = makeArtifact(s, "v1", { "index.html": "v1" });
    const err = await failure(deploy(s, { artifact }, "r1").done);
    expect(err).toBeInstanceOf(BadDeploymentError);
    expect(err.message).toMatch(/releases is not a directory \(a symlink\?\); refusing to write through it$/);
    expect(snapshotTree(s.outside)).toEqual(before);

    mkdirSync(join(s.root, "other", "current"), { recursive: true });
    const err2 = await failure(deploy(s, { artifact, target: "other" }, "r1").done);
    expect(err2.message).toMatch(/current exists and is not a symlink; move it away first$/);
  });
});
