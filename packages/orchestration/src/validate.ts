import type { z } from "zod";
import { ValidationError } from "./errors.ts";

/** Problems a ValidationError's message names; `issues` holds them all. */
export const MESSAGE_ISSUES_MAX = 10;

/**
 * Parses input with its schema or throws ValidationError naming each field and rule. The
 * message names the first MESSAGE_ISSUES_MAX problems and counts the rest; `issues` lists every
 * one. A batch of 1,000 bad items once made a message (and, through its cause, a printed
 * ZodError) of tens of thousands of lines; the zod error is no longer attached.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.map(String).join(".") : "(input)",
    message: i.message,
  }));
  const named = issues.slice(0, MESSAGE_ISSUES_MAX).map((i) => `${i.path}: ${i.message}`);
  const more = issues.length - named.length;
  throw new ValidationError(
    `invalid ${what}: ${named.join("; ")}${more > 0 ? `; and ${more} more (see the error's issues)` : ""}`,
    issues,
  );
}
