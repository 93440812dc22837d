import type { z } from "zod";

/** One readable line per problem: `field.path: rule`. */
export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? i.path.join(".") : "(input)"}: ${i.message}`)
    .join("; ");
}
