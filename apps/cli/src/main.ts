/**
 * `hive`: the operator CLI. Wires the program to the process: argv in, text or JSON out, and
 * an exit code from exitCodes.ts (0 ok, 1 failure, 2 usage, 3 not found, 4 conflict, 5 database
 * unavailable).
 */
import { CommanderError } from "commander";
import { describeError, exitCodeFor } from "./exitCodes.ts";
import { createProgram } from "./program.ts";

const io = {
  stdout: (text: string) => void process.stdout.write(text),
  stderr: (text: string) => void process.stderr.write(text),
  env: process.env,
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
};

// A reader that stops early (`hive tasks list | head`) closes the pipe: what is left of the output
// has nowhere to go, which is no failure of the command. Unhandled, the EPIPE crashed hive with a
// stack trace and exit 1 (and would stop a dashboard whose URL went into a closed pipe).
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
  });

// `pnpm … hive -- args` forwards the "--" itself; it never starts a real `hive` command line.
const args = process.argv.slice(2);
if (args[0] === "--") args.shift();

try {
  await createProgram(io).parseAsync(args, { from: "user" });
  process.exitCode = 0;
} catch (err) {
  // Commander has printed its own message (usage errors, --help, --version).
  if (!(err instanceof CommanderError)) io.stderr(`${describeError(err)}\n`);
  process.exitCode = exitCodeFor(err);
}
