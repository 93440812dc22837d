/**
 * Test fixtures: a temp directory per test (deployment root, a directory "outside" it, artifacts,
 * a SQLite file), artifact and probe helpers, waitUntil, and process bookkeeping so a test fails
 * when it leaves a process behind.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { closeDatabase, type Database, getTask, openDatabase } from "@hive/orchestration";
import { afterEach, beforeEach, expect } from "vitest";

export const PROBE = join(import.meta.dirname, "probe.mjs");

export interface Sandbox {
  dir: string;
  /** The deployer's root. */
  root: string;
  /** A directory beside the root, which nothing may ever write into. */
  outside: string;
  dbPath: string;
  db: Database;
}

/** A fresh sandbox per test (`s.root`, `s.db`…), removed afterwards; fails the test if it leaves a probe running. */
export function useSandbox(): Sandbox {
  let current: Sandbox | undefined;
  const controls: string[] = [];
  beforeEach(async () => {
    const dir = mkdtempSync(join(tmpdir(), "hive-deployer-"));
    const s = { dir, root: join(dir, "root"), outside: join(dir, "outside"), dbPath: join(dir, "hive.db") };
    mkdirSync(s.root);
    mkdirSync(s.outside);
    writeFileSync(join(s.outside, "keep.txt"), "not yours\n");
    current = { ...s, db: await openDatabase({ path: s.dbPath }) };
    controls.length = 0;
  });
  afterEach(async () => {
    const s = current!;
    current = undefined;
    // Probes still alive were left behind by the code under test: kill them, then fail.
    const alive = probePids(s.dir).filter(isAlive);
    for (const pid of alive) process.kill(pid, "SIGKILL");
    await closeDatabase(s.db);
    rmSync(s.dir, { recursive: true, force: true });
    expect(alive, "probe processes left running").toEqual([]);
  });
  return new Proxy({} as Sandbox, { get: (_, k) => current![k as keyof Sandbox] });
}

/** Writes an artifact directory (relative path -> content) and returns its path. */
export function makeArtifact(s: Sandbox, name: string, files: Record<string, string>): string {
  const dir = join(s.dir, "artifacts", name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return dir;
}

/** A control directory for probe.mjs; `hold` makes it wait, `fail` makes it fail. */
export function makeControl(s: Sandbox, name: string, opts: { hold?: boolean; fail?: boolean } = {}) {
  const dir = join(s.dir, "controls", name);
  mkdirSync(dir, { recursive: true });
  if (opts.hold) writeFileSync(join(dir, "hold"), "");
  if (opts.fail) writeFileSync(join(dir, "fail"), "");
  return {
    dir,
    /** argv of a health check / command that runs the probe with this control directory. */
    argv: [process.execPath, PROBE, dir],
    release: () => rmSync(join(dir, "hold"), { force: true }),
    pids: () => readPids(join(dir, "pids")),
  };
}

function readPids(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map(Number);
}

function probePids(dir: string): number[] {
  const controls = join(dir, "controls");
  if (!existsSync(controls)) return [];
  return readdirSync(controls).flatMap((c) => readPids(join(controls, c, "pids")));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `predicate` until it holds; fails naming `description` after `timeoutMs`. */
export async function waitUntil<T>(
  predicate: () => T | Promise<T>,
  description: string,
  timeoutMs = 60_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${description}`);
    await sleep(50);
  }
}

/** Waits until the task reaches one of `statuses` (default: a finished state) and returns it. */
export function taskReaching(db: Database, taskId: string, statuses = ["completed", "failed", "cancelled"]) {
  return waitUntil(
    async () => {
      const t = await getTask(db, taskId);
      return t && statuses.includes(t.status) ? t : null;
    },
    `task ${taskId} to be ${statuses.join("/")}`,
  );
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every entry under `dir` (relative path, kind, content hash or link text), sorted: compare before/after. */
export function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push(`${r} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${r}/`);
        walk(p, r);
      } else out.push(`${r} ${createHash("sha1").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir, "");
  return out;
}

/** The state of a local target: where `current` points, the releases, and anything else in it. */
export function targetState(targetDir: string) {
  const current = join(targetDir, "current");
  const releasesDir = join(targetDir, "releases");
  return {
    current: lstatSync(current, { throwIfNoEntry: false }) ? readlinkSync(current) : null,
    releases: existsSync(releasesDir) ? readdirSync(releasesDir).sort() : [],
    /** Entries of the target other than current and releases/ (temp links, journal, lock). */
    extras: existsSync(targetDir)
      ? readdirSync(targetDir)
          .filter((e) => e !== "current" && e !== "releases")
          .sort()
      : [],
  };
}

/** The artifact's files (relative path -> content), to compare a release with its artifact. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      if (lstatSync(p).isDirectory()) walk(p, r);
      else out[r] = readFileSync(p, "utf8");
    }
  };
  walk(dir, "");
  return out;
}
