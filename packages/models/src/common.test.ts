import { describe, expect, it } from "vitest";
import { JsonObjectSchema, JsonValueSchema, MAX_JSON_DEPTH } from "./common.ts";
import { formatZodIssues } from "./validation.ts";

/** The formatted issues of a value the schema must reject. */
function rejection(schema: typeof JsonValueSchema | typeof JsonObjectSchema, value: unknown): string {
  const r = schema.safeParse(value);
  if (r.success) throw new Error(`accepted ${String(value)}`);
  return formatZodIssues(r.error);
}

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

describe("JsonValueSchema", () => {
  it("accepts JSON values of every kind and returns them as given", () => {
    const value = { s: "x", n: -1.5, b: false, z: null, list: [1, "two", [null, { deep: true }]], e: {} };
    expect(JsonValueSchema.parse(value)).toBe(value);
    for (const v of ["", 0, true, null, [], Object.create(null)]) expect(JsonValueSchema.parse(v)).toBe(v);
  });

  it("names the path of the first value JSON cannot hold", () => {
    expect(rejection(JsonValueSchema, { a: [1, { b: Number.NaN }] })).toMatch(
      /^a\.1\.b: must be a finite number/,
    );
    expect(rejection(JsonValueSchema, { a: Infinity })).toMatch(/^a: must be a finite number/);
    expect(rejection(JsonValueSchema, { a: undefined })).toMatch(/^a: must be JSON, not undefined/);
    expect(rejection(JsonValueSchema, [1, () => 1])).toMatch(/^1: must be JSON, not function/);
    expect(rejection(JsonValueSchema, { big: 1n })).toMatch(/^big: must be JSON, not bigint/);
    expect(rejection(JsonValueSchema, { when: new Date(0) })).toMatch(/^when: must be JSON \(a plain object/);
    expect(rejection(JsonValueSchema, { m: new Map() })).toMatch(/^m: must be JSON \(a plain object/);
    // A hole in an array reads as undefined, which JSON cannot hold either.
    const holey = [1, 2, 3];
    delete holey[1];
    expect(rejection(JsonValueSchema, { list: holey })).toMatch(/^list\.1: must be JSON, not undefined/);
  });

  it("rejects a cyclic value with an issue instead of overflowing the stack", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(rejection(JsonValueSchema, cyclic)).toMatch(/nested more than 1000 levels deep \(or cyclic\)/);
  });

  it("accepts nesting up to MAX_JSON_DEPTH levels and no deeper", () => {
    expect(JsonValueSchema.safeParse(nested(MAX_JSON_DEPTH)).success).toBe(true);
    expect(JsonValueSchema.safeParse(nested(MAX_JSON_DEPTH + 1)).success).toBe(false);
  });
});

describe("JsonObjectSchema", () => {
  it("accepts a plain object, its null-prototype twin, and returns it as given", () => {
    const value = { a: { b: [1, 2] } };
    expect(JsonObjectSchema.parse(value)).toBe(value);
    const bare = Object.assign(Object.create(null), { a: 1 });
    expect(JsonObjectSchema.parse(bare)).toBe(bare);
  });

  it("rejects what is JSON but not an object, and objects holding non-JSON", () => {
    for (const v of [[1], "text", 3, null, undefined, true])
      expect(rejection(JsonObjectSchema, v)).toMatch(/must be a JSON object/);
    expect(rejection(JsonObjectSchema, { x: { y: Symbol("s") } })).toMatch(/^x\.y: must be JSON, not symbol/);
  });
});
