/**
 * The layout of a local deployment target, and every write to it:
 *
 *   <target>/releases/<id>/   complete copies of artifacts (copied under `.tmp-…`, then renamed)
 *   <target>/current          symlink to releases/<id>, replaced atomically with rename(2)
 *   <target>/.deploying       journal of the deployment in flight: {release, previous}
 *
 * A deployer killed at any point leaves `current` on a complete release; the journal says whether
 * that release was still unverified, so the next deployment of the target can put the previous
 * one back first.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { BadDeploymentError } from "../strategies/types.ts";

const rand = () => Math.random().toString(36).slice(2, 10);
const JOURNAL = ".deploying";
const JournalSchema = z.object({ release: z.string().min(1), previous: z.string().min(1).nullable() });
export type Journal = z.infer<typeof JournalSchema>;

/** releases/ under the target, created if missing; refused when it is anything but a real directory. */
export function releasesDir(targetDir: string): string {
  const dir = join(targetDir, "releases");
  mkdirSync(dir, { recursive: true });
  if (!lstatSync(dir).isDirectory())
    throw new BadDeploymentError(`${dir} is not a directory (a symlink?); refusing to write through it`);
  const current = join(targetDir, "current");
  if (existsSync(current) && !lstatSync(current).isSymbolicLink())
    throw new BadDeploymentError(`${current} exists and is not a symlink; move it away first`);
  return dir;
}

/** The release `current` points at, or null. */
export function currentRelease(targetDir: string): string | null {
  try {
    return basename(readlinkSync(join(targetDir, "current")));
  } catch {
    return null;
  }
}

/** Points `current` at `release` (or removes it, for null) in one step. */
export function switchCurrent(targetDir: string, release: string | null): void {
  const current = join(targetDir, "current");
  if (release === null) {
    rmSync(current, { force: true });
    return;
  }
  const tmp = join(targetDir, `.current-${rand()}`);
  symlinkSync(join("releases", release), tmp);
  renameSync(tmp, current); // rename(2) replaces the old link atomically: readers see old or new
}

/** Records the deployment in flight (written to a temp name, then renamed: never half a journal). */
export function writeJournal(targetDir: string, journal: Journal): void {
  const tmp = join(targetDir, `${JOURNAL}.${rand()}`);
  writeFileSync(tmp, JSON.stringify(journal));
  renameSync(tmp, join(targetDir, JOURNAL));
}

export function clearJournal(targetDir: string): void {
  rmSync(join(targetDir, JOURNAL), { force: true });
}

function readJournal(targetDir: string): Journal | null {
  try {
    return JournalSchema.parse(JSON.parse(readFileSync(join(targetDir, JOURNAL), "utf8")));
  } catch {
    return null;
  }
}

/**
 * Repairs what an interrupted deployment (a killed deployer) left: puts back the release that was
 * live before it when `current` still points at the unverified one, removes that release, temp
 * copies and temp links. Call with the target's lock held. Returns the journal found, if any.
 */
export function recoverTarget(targetDir: string, log: (l: string) => void): Journal | null {
  const journal = readJournal(targetDir);
  const dir = join(targetDir, "releases");
  if (journal) {
    if (currentRelease(targetDir) === journal.release) switchCurrent(targetDir, journal.previous);
    rmSync(join(dir, journal.release), { recursive: true, force: true });
    clearJournal(targetDir);
    log(
      `recovered from an interrupted deployment of ${journal.release}: current -> ${journal.previous ?? "no release"}`,
    );
  }
  for (const e of readdirSync(targetDir))
    if (e.startsWith(".current-") || e.startsWith(`${JOURNAL}.`)) rmSync(join(targetDir, e), { force: true });
  if (existsSync(dir))
    for (const e of readdirSync(dir))
      if (e.startsWith(".tmp-")) rmSync(join(dir, e), { recursive: true, force: true });
  return journal;
}

/** A temp path for a release being copied (never the final name, so a half copy is never used). */
export function tempReleasePath(dir: string, releaseId: string): string {
  return join(dir, `.tmp-${releaseId}-${rand()}`);
}

/** Gives a release that goes live its time of going live (pruning keeps the newest). */
export function stampRelease(path: string): void {
  const now = new Date();
  utimesSync(path, now, now);
}

/** Keeps the newest `keep` releases (by time of going live) and always `protect`; returns the removed ones. */
export function pruneReleases(dir: string, keep: number, protect: string): string[] {
  const releases = readdirSync(dir)
    .filter((e) => !e.startsWith("."))
    .map((e) => ({ e, t: statSync(join(dir, e)).mtimeMs }))
    .sort((a, b) => b.t - a.t || b.e.localeCompare(a.e));
  const removed: string[] = [];
  for (const { e } of releases.slice(keep))
    if (e !== protect) {
      rmSync(join(dir, e), { recursive: true, force: true });
      removed.push(e);
    }
  return removed;
}
