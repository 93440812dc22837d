/**
 * The levels the logger knows, least verbose first: pino's, which the planner and the deployer
 * take from the same $HIVE_LOG_LEVEL that the main job hands its processes. It writes only error,
 * warn and info lines.
 */
export const LEVELS = ["silent", "fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LEVELS)[number];

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Structured JSON lines on stderr, scoped with `fields` (app, workerId…). The main job's
 * processes log this way so that their log files can be read by tools and tests alike; it is
 * the Worker runtime's logger interface, so nothing more is needed here than a writer.
 */
export function createLogger(app: string, level: LogLevel, fields: Record<string, unknown> = {}): Logger {
  const max = LEVELS.indexOf(level);
  const write = (lvl: "error" | "warn" | "info", obj: object, msg?: string) => {
    if (LEVELS.indexOf(lvl) > max) return;
    process.stderr.write(
      `${JSON.stringify({ level: lvl, time: Date.now(), app, pid: process.pid, ...fields, ...obj, msg })}\n`,
    );
  };
  return {
    info: (obj, msg) => write("info", obj, msg),
    warn: (obj, msg) => write("warn", obj, msg),
    error: (obj, msg) => write("error", obj, msg),
  };
}
