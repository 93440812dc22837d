import type { Command } from "commander";
import { type Backend, GlobalOptionsSchema, resolveBackend } from "./config.ts";
import { makeStyle, type Style } from "./format/text.ts";

/** Where a command writes, and how. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Colour on stdout: a TTY without NO_COLOR. */
  color: boolean;
}

/** What every command gets: the backend chosen by the global flags, the output mode, the streams. */
export interface CommandContext {
  backend: Backend;
  json: boolean;
  style: Style;
  io: Io;
  /** Prints `data` as JSON with --json, else the text `human()` returns. */
  emit: (data: unknown, human: () => string) => void;
}

/** The context of the command being run (global flags may come before or after the command name). */
export function contextOf(cmd: Command, io: Io): CommandContext {
  const opts = GlobalOptionsSchema.parse(cmd.optsWithGlobals());
  const style = makeStyle(io.color && !opts.json);
  return {
    backend: resolveBackend(opts, io.env),
    json: opts.json,
    style,
    io,
    emit: (data, human) => io.stdout(`${opts.json ? JSON.stringify(data, null, 2) : human()}\n`),
  };
}
