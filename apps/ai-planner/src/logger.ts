import pino, { type Logger } from "pino";

/** Structured JSON logs on stderr (stdout stays free for command output), scoped to the app. */
export function createLogger(app: string, level: string, fields: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { app, pid: process.pid, ...fields } }, pino.destination(2));
}
