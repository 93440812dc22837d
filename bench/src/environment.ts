/** Machine, runtime and server facts printed with the figures, so a reader can compare runs. */
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { workerLauncher } from "./workerProcess.ts";

export function machineFacts(): Record<string, string> {
  const cpu = cpus();
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    // The package measured may hold uncommitted work (a shared work tree): say so.
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "packages/orchestration/src"], {
      encoding: "utf8",
      cwd: new URL("../..", import.meta.url),
    }).trim();
    if (dirty) commit += ` (+ uncommitted changes in packages/orchestration/src)`;
  } catch {
    // not a git checkout
  }
  const mem = new BetterSqlite3(":memory:");
  const sqlite = String(mem.prepare("SELECT sqlite_version()").pluck().get());
  mem.close();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: `${cpu[0]?.model ?? "unknown"} × ${cpu.length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    "git commit": commit,
    "SQLite (better-sqlite3)": sqlite,
    "worker processes": workerLauncher(),
  };
}

export function loadAverage(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ");
}

/** The PostgreSQL server's version and the settings that bound commit speed, or null if unreachable. */
export async function postgresFacts(url: string): Promise<Record<string, string> | null> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
  } catch {
    return null;
  }
  try {
    const v = await c.query<{ server_version: string }>("SHOW server_version");
    const s = await c.query<{ name: string; setting: string; unit: string | null }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') ORDER BY name",
    );
    return {
      "PostgreSQL server": v.rows[0]?.server_version ?? "unknown",
      "PostgreSQL settings": s.rows
        .map((r) => `${r.name}=${r.setting}${r.unit ? ` (${r.unit})` : ""}`)
        .join(", "),
    };
  } finally {
    await c.end();
  }
}
