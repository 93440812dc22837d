import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  command: string;
}

/**
 * Processes whose command line mentions `marker` (a test's temporary directory): the daemons a
 * test started, and any process they started in turn (the main job's children), which a
 * DaemonPool cannot see. Linux /proc only; elsewhere it finds nothing.
 */
export function processesMentioning(marker: string): ProcessInfo[] {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const found: ProcessInfo[] = [];
  for (const p of pids) {
    const pid = Number(p);
    if (pid === process.pid) continue;
    try {
      const command = readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ").trim();
      // A zombie has an empty command line: it is gone, only not reaped yet.
      if (command.includes(marker)) found.push({ pid, command });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
