import type { z } from "zod";
import { ValidationError } from "./errors.ts";

/** Parses input with its schema or throws ValidationError naming each field and rule. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: i.path.length > 0 ? i.path.map(String).join(".") : "(input)",
    message: i.message,
  }));
  throw new ValidationError(
    `invalid ${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    issues,
    {
      cause: r.error,
    },
  );
}
