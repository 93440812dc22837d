/**
 * The positional arguments of a root script (`pnpm db:migrate`, `pnpm db:copy-to-pg`). `-h` /
 * `--help` prints the usage (exit 0); an option it does not know, or too few or too many
 * arguments, is a usage error (exit 2) before anything is opened: `pnpm db:migrate --help` made a
 * database named "--help" in the repository, and a second path was silently ignored. Everything
 * after a `--` is positional (pnpm forwards the `--` of `pnpm db:migrate -- <path>` itself).
 */
export function scriptArgs(
  argv: readonly string[],
  usage: string,
  count: { min: number; max: number },
): string[] {
  const cut = argv.indexOf("--");
  const before = cut === -1 ? argv : argv.slice(0, cut);
  const after = cut === -1 ? [] : argv.slice(cut + 1);
  if (before.some((a) => a === "-h" || a === "--help")) {
    console.log(usage);
    process.exit(0);
  }
  const option = before.find((a) => a.startsWith("-") && a !== "-");
  const args = [...before, ...after];
  const problem =
    option !== undefined
      ? `unknown option ${option}`
      : args.length < count.min
        ? "missing arguments"
        : args.length > count.max
          ? `unexpected argument ${args[count.max]}`
          : null;
  if (problem !== null) {
    console.error(`${problem}\n${usage}`);
    process.exit(2);
  }
  return args;
}
