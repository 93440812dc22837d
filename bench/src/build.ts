/**
 * Compiles the worker process entry (child.ts) to JavaScript under bench/.build/, so worker
 * processes run as a deployed worker does: plain `node`, no TypeScript loader. Under
 * `node --import tsx`, tsx's hooks run in a loader thread with its own V8 isolate and esbuild:
 * ~40 MB of RSS per process (measured: an idle worker importing @hive/orchestration, ~110 MB
 * under tsx, ~69 MB compiled) that belongs to no system under test.
 *
 * Bundled: the bench sources, the workspace packages (@hive/*: TypeScript sources resolved
 * through their package.json exports) and the pure-JS packages they use that bench/ cannot
 * resolve itself under pnpm's strict layout (drizzle-orm). External: the bench's own
 * dependencies (EXTERNAL), loaded by Node from bench/node_modules at run time, as under tsx.
 */
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";

const benchDir = resolve(import.meta.dirname, "..");
const repoDir = resolve(benchDir, "..");
const BUILD_DIR = join(benchDir, ".build");
/** Builds older than this are removed (no run lasts that long). */
const KEEP_MS = 24 * 3600_000;

/**
 * Left to Node at run time, resolved from bench/node_modules (the bundle lives in bench/):
 * - better-sqlite3, better-sqlite3-old: native addons (the .node file is found through
 *   `bindings` relative to the package); they cannot be bundled.
 * - graphile-worker, pg-boss, plainjob, liteque: the peers, measured as their packages ship.
 *   graphile-worker loads presets and tasks with dynamic imports; liteque's drizzle 0.33 is
 *   loaded from beside liteque at run time (see systems/litequeDb.ts).
 * - pg: CommonJS; bundled into ESM output its `require("events")` fails at load ("Dynamic
 *   require of "events" is not supported", tried). External, it is also the one copy that
 *   @hive/orchestration, the raw-pg worker and the peers share, as under tsx.
 * - zod: bundling it works (ESM, tried), but it is a direct dependency of bench and of the
 *   workspace packages (one catalog version): external, Node loads that one copy as under tsx.
 * drizzle-orm is bundled: pure ESM JavaScript, and not resolvable from bench/ (a dependency of
 * @hive/orchestration only).
 */
const EXTERNAL = [
  "better-sqlite3",
  "better-sqlite3-old",
  "pg",
  "pg-boss",
  "graphile-worker",
  "plainjob",
  "liteque",
  "zod",
];

/**
 * Workspace sources read `import.meta.url` / `import.meta.dirname` to find files beside them
 * (orchestration's migrations.ts finds the top-level migrations/ folder; config.ts,
 * versions.ts, systems/litequeDb.ts resolve from bench/). In a bundle they would name the
 * bundle's folder: replace them with the original file's URL and directory as string literals.
 */
const originalImportMeta: Plugin = {
  name: "original-import-meta",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(repoDir + sep) || args.path.includes(`${sep}node_modules${sep}`))
        return undefined;
      const source = await readFile(args.path, "utf8");
      if (!source.includes("import.meta")) return { contents: source, loader: "ts" };
      const contents = source
        .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
        .replaceAll("import.meta.filename", JSON.stringify(args.path));
      if (contents.includes("import.meta"))
        throw new Error(`${args.path}: an import.meta property this build does not replace`);
      return { contents, loader: "ts" };
    });
  },
};

/**
 * Builds the worker process bundle (under a second) and returns the path of its entry. Each
 * system's worker module stays a chunk of its own, loaded when child.ts imports it: in one
 * file, esbuild hoists every external import to the top, so each worker process would load
 * every peer's package and its memory would no longer be its system's alone.
 *
 * The output goes to a folder named by its content hash, written aside and renamed into place:
 * runs sharing this checkout (and their live worker processes) never see a half-written or
 * replaced file.
 */
export async function buildWorkerBundle(): Promise<string> {
  const staging = join(BUILD_DIR, `.staging-${process.pid}-${Date.now()}`);
  const { outputFiles } = await build({
    entryPoints: { child: join(benchDir, "src/child.ts") },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: `node${process.versions.node}`,
    external: EXTERNAL,
    plugins: [originalImportMeta],
    logLevel: "warning",
    write: false,
  });
  const hash = createHash("sha256");
  for (const f of outputFiles) hash.update(relative(staging, f.path)).update(f.contents);
  const dir = join(BUILD_DIR, hash.digest("hex").slice(0, 16));
  const entry = join(dir, "child.js");
  if (existsSync(entry)) {
    // Reused: its age counts from its last use (see prune).
    const now = new Date();
    utimesSync(dir, now, now);
  } else {
    for (const f of outputFiles) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.contents);
    }
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another run renamed the same build into place first: theirs is ours.
      rmSync(staging, { recursive: true, force: true });
      if (!existsSync(entry)) throw err;
    }
  }
  prune(dir);
  return entry;
}

/** Removes builds (and abandoned staging folders) not used for a day: no run still needs them. */
function prune(keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(BUILD_DIR)) {
    const p = join(BUILD_DIR, name);
    try {
      if (p !== keep && now - statSync(p).mtimeMs > KEEP_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // removed meanwhile by another run's prune
    }
  }
}
