import { z } from "zod";

/**
 * Every timestamp in Hive is an integer count of milliseconds since the Unix epoch (UTC):
 * in the database (INTEGER / BIGINT columns), in the API and in events. One representation,
 * no time zones, cheap to compare and index.
 */
export const TimestampSchema = z.number().int().nonnegative();
export type Timestamp = z.infer<typeof TimestampSchema>;

/**
 * What a stored string may not hold: NUL (PostgreSQL text cannot store U+0000, and its JSON
 * parser refuses the escape `\u0000`) and an unpaired UTF-16 surrogate (UTF-8 cannot encode one:
 * both drivers wrote U+FFFD instead, so the row differed from what the call returned, and
 * PostgreSQL's JSON parser refuses its escape). One such skill on one task made every claim on
 * PostgreSQL fail. In `u` mode a paired surrogate is one code point, so only unpaired ones match.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for
const UNSTORABLE = /[\u0000\p{Cs}]/u;
export const TEXT_RULE = "must not contain NUL (U+0000) or an unpaired UTF-16 surrogate";
export const isStorableText = (s: string): boolean => !UNSTORABLE.test(s);

/**
 * `s` with each NUL and unpaired surrogate replaced by U+FFFD: for text a worker reports about
 * code it does not control (a handler's error message, its log lines), which a ValidationError
 * would lose along with the outcome it came with.
 */
export const toStorableText = (s: string): string =>
  isStorableText(s) ? s : s.replace(new RegExp(UNSTORABLE.source, "gu"), "\ufffd");

/** A string the database stores as given (see UNSTORABLE); chain its other rules after it. */
export const text = () => z.string().refine(isStorableText, TEXT_RULE);

/**
 * The path to the first string (value or key) in a JSON value that is not storable text, or
 * null. For JSON the server parses (plan data: PostgreSQL reads its on_failure with `->>`, and
 * a `\u0000` or unpaired-surrogate escape anywhere in the document fails that read).
 */
export function unstorablePath(v: unknown, depth = 0): PropertyKey[] | null {
  if (typeof v === "string") return isStorableText(v) ? null : [];
  if (typeof v !== "object" || v === null || depth >= MAX_JSON_DEPTH) return null;
  const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
  for (const [k, child] of entries) {
    if (typeof k === "string" && !isStorableText(k)) return [k];
    const p = unstorablePath(child, depth + 1);
    if (p) return [k, ...p];
  }
  return null;
}

/** An id or name given to look something up: trimmed as IdSchema trims what it stores, not empty, storable (a NUL was a driver error). */
export const KeyArgSchema = text().trim().min(1, "must not be empty");

export const IdSchema = text().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object (string keys, any JSON values). */
export type JsonObject = { [key: string]: JsonValue };

/** Deepest nesting of arrays and objects a JSON value may have (a cyclic value never ends). */
export const MAX_JSON_DEPTH = 1000;

type JsonProblem = { path: PropertyKey[]; message: string };

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The problem of a child, seen from its parent. */
function under(key: PropertyKey, p: JsonProblem): JsonProblem {
  p.path.unshift(key);
  return p;
}

/**
 * Where `v` stops being JSON (the path to the first such value, and why), or null. One walk, no
 * copy, no allocation unless there is a problem: z.json() copied every object and array of a
 * payload and tracked cycles through a WeakMap, half of a task's validation time.
 */
function jsonProblem(v: unknown, depth: number): JsonProblem | null {
  switch (typeof v) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(v) ? null : { path: [], message: "must be a finite number" };
    case "object": {
      if (v === null) return null;
      if (depth >= MAX_JSON_DEPTH)
        return { path: [], message: `nested more than ${MAX_JSON_DEPTH} levels deep (or cyclic)` };
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) {
          const p = jsonProblem(v[i], depth + 1);
          if (p) return under(i, p);
        }
        return null;
      }
      if (!isPlainObject(v))
        return { path: [], message: "must be JSON (a plain object, not a class instance)" };
      for (const key of Object.keys(v)) {
        const p = jsonProblem((v as Record<string, unknown>)[key], depth + 1);
        if (p) return under(key, p);
      }
      return null;
    }
    default:
      return { path: [], message: `must be JSON, not ${typeof v}` };
  }
}

/** A schema that validates in place (the output is the input itself) with `problemOf`. */
const checkedInPlace = <T>(problemOf: (v: unknown) => JsonProblem | null) =>
  z.custom<T>().superRefine((v, ctx) => {
    const p = problemOf(v);
    if (p) ctx.addIssue({ code: "custom", path: p.path, message: p.message, input: v });
  });

/** Any JSON value. Validated in place: the output is the input itself. */
export const JsonValueSchema = checkedInPlace<JsonValue>((v) => jsonProblem(v, 0));

/** Whether `v` is a JSON object (what JsonObjectSchema accepts), without building an issue. */
export function isJsonObject(v: unknown): boolean {
  return typeof v === "object" && v !== null && !Array.isArray(v) && jsonProblem(v, 0) === null;
}

/** A JSON object (string keys, any JSON values). Validated in place: the output is the input itself. */
export const JsonObjectSchema = checkedInPlace<JsonObject>((v) =>
  typeof v !== "object" || v === null || Array.isArray(v)
    ? { path: [], message: "must be a JSON object" }
    : jsonProblem(v, 0),
);

/** Longest tag or skill, and most of them on one task (also read by createTaskFast.ts). */
export const LIST_LIMITS = { itemLength: 100, items: 100 } as const;

export const TagListSchema = z.array(text().min(1).max(LIST_LIMITS.itemLength)).max(LIST_LIMITS.items);
export const SkillListSchema = z
  .array(text().trim().min(1).max(LIST_LIMITS.itemLength))
  .max(LIST_LIMITS.items);

/** Priority: higher runs first. */
export const PRIORITY_RANGE = { min: -1_000_000, max: 1_000_000 } as const;
export const PrioritySchema = z.number().int().min(PRIORITY_RANGE.min).max(PRIORITY_RANGE.max);

/**
 * An integer given as text (a command-line flag, a query parameter): optional sign and digits,
 * surrounding spaces allowed; anything else "must be an integer". z.coerce.number() read "" and
 * " " as 0 (`--reaper-ms "$UNSET"` turned a reaper off, `-p ""` submitted priority 0) and took
 * "1e3" and "0x10". Numbers pass as they are. The apps' one rule for numeric flags.
 */
export function integerText(range: { min?: number; max?: number } = {}) {
  let n = z.number({ error: "must be an integer" }).int("must be an integer");
  if (range.min !== undefined) n = n.min(range.min);
  if (range.max !== undefined) n = n.max(range.max);
  return z.preprocess((v) => (typeof v === "string" && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : v), n);
}
