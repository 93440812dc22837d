/**
 * The @hive/orchestration under test: the workspace package, or another copy of its sources
 * named by HIVE_BENCH_HIVE_MODULE (the path of that copy's src/index.ts). With it, a proposed
 * change to the package is measured before and after by the same command, in the same run
 * conditions; worker processes inherit the variable, so both sides use the same copy.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export type Hive = typeof import("@hive/orchestration");

let loaded: Promise<Hive> | null = null;

/** Where the module comes from, for the report. */
export function hiveModuleSource(): string {
  const p = process.env.HIVE_BENCH_HIVE_MODULE;
  return p ? `copy at ${p} (HIVE_BENCH_HIVE_MODULE)` : "workspace package";
}

export function hive(): Promise<Hive> {
  if (!loaded) {
    const p = process.env.HIVE_BENCH_HIVE_MODULE;
    loaded = p
      ? (import(pathToFileURL(isAbsolute(p) ? p : resolve(p)).href) as Promise<Hive>)
      : import("@hive/orchestration");
  }
  return loaded;
}
