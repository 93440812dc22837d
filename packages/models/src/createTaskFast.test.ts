import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCreateTaskFast, parseCreateTasksFast } from "./createTaskFast.ts";
import { CreateTaskInputSchema } from "./task.ts";

/** Values near and past each field's rules, valid and not. */
const strings = [
  "a",
  " a ",
  "  ",
  "",
  "x".repeat(100),
  "x".repeat(101),
  "x".repeat(500),
  "x".repeat(501),
  "\u00a0b\u00a0",
  // Not storable (NUL, unpaired surrogates), and a paired one that is.
  "a\u0000",
  "\ud800",
  " x\udc00 ",
  "\ud83d\ude00",
];
const FIELD_VALUES: Record<string, unknown[]> = {
  title: [...strings, 3, null, undefined],
  taskType: [...strings, ["a"], null],
  description: [null, "d", "", "x".repeat(100_001), 1, undefined, "d\u0000", "\udfff"],
  priority: [
    0,
    -0,
    1,
    1_000_000,
    1_000_001,
    -1_000_000,
    -1_000_001,
    1.5,
    Number.NaN,
    Infinity,
    "1",
    null,
    undefined,
  ],
  currentPhase: ["start", "", " p ", "x".repeat(100), "x".repeat(101), null, "p\u0000", "\ud800"],
  workflow: [
    null,
    {},
    { steps: [1, "a", { b: null }] },
    [],
    "w",
    { d: new Date(0) },
    { n: Number.NaN },
    undefined,
  ],
  payload: [
    null,
    {},
    { i: 1 },
    { nested: { deep: [true, false] } },
    [1],
    5,
    { f: () => 1 },
    Object.create(null),
  ],
  tags: [
    [],
    ["a"],
    ["a", "a"],
    [""],
    [" a "],
    ["x".repeat(101)],
    Array(101).fill("t"),
    [1],
    "a",
    [undefined],
    ["a\u0000"],
  ],
  requiredSkills: [
    [],
    ["gpu"],
    [" gpu "],
    ["  "],
    ["x".repeat(100)],
    Array(100).fill("s"),
    Array(101).fill("s"),
    [null],
    ["gpu", "\ud800"],
  ],
  maxRetries: [0, 3, 100, 101, -1, 2.5, null],
  dueDate: [null, 0, 1_700_000_000_000, -1, 1.5, 2 ** 53, undefined],
  runAt: [0, 1_700_000_000_000, -5, Number.MAX_SAFE_INTEGER, null],
  delayMs: [0, 1000, 10 * 365 * 24 * 3600 * 1000, 10 * 365 * 24 * 3600 * 1000 + 1, -1, 0.5],
  idempotencyKey: ["k", "", "k\u0000"],
  dependsOn: [[], ["t1"], ["t\u0000"]],
  id: ["given", ""],
  unknownField: [1],
};

/** Mostly valid values (the first of each list), so that many inputs reach the fast path. */
const valueArb = (k: string) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(FIELD_VALUES[k]![0]) },
    { weight: 2, arbitrary: fc.constantFrom(...FIELD_VALUES[k]!) },
  );

const inputArb = fc
  .tuple(
    fc.boolean(),
    fc.subarray(["title", "taskType"]),
    fc.subarray(Object.keys(FIELD_VALUES).slice(2), { maxLength: 5 }),
  )
  .map(([both, required, optional]) => [...(both ? ["title", "taskType"] : required), ...optional])
  .chain((keys) =>
    fc.tuple(...keys.map(valueArb)).map((values) => {
      const input: Record<string, unknown> = {};
      keys.forEach((k, i) => {
        input[k] = values[i];
      });
      return input;
    }),
  );

/** What the fast path's output means: fields it leaves undefined are the ones zod omits. */
const defined = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

describe("parseCreateTaskFast", () => {
  it("gives zod's output whenever it gives one, and only for inputs zod accepts", () => {
    let fast = 0;
    fc.assert(
      fc.property(inputArb, (input) => {
        const got = parseCreateTaskFast(input);
        const zod = CreateTaskInputSchema.safeParse(input);
        if (got === undefined) return;
        fast++;
        expect(zod.success).toBe(true);
        expect(defined(got)).toStrictEqual(zod.data);
      }),
      { numRuns: 20_000, seed: 8 },
    );
    // The generator reaches the fast path often enough for the comparison to mean something.
    expect(fast).toBeGreaterThan(2_000);
  });

  it("takes the common shapes (so batches skip zod)", () => {
    const common = [
      { title: "t", taskType: "bench", payload: { i: 1 } },
      {
        title: " padded ",
        taskType: "build",
        priority: 5,
        maxRetries: 0,
        tags: ["a"],
        requiredSkills: [" gpu "],
      },
      { title: "d", taskType: "later", delayMs: 5000, description: null, workflow: null, dueDate: 1 },
    ];
    for (const input of common)
      expect(defined(parseCreateTaskFast(input)!)).toStrictEqual(CreateTaskInputSchema.parse(input));
  });

  it("leaves to zod what it does not cover: dependencies, ids, keys, class instances, inherited fields", () => {
    class Input {
      title = "t";
      taskType = "b";
    }
    const inherited = Object.create({ payload: { i: 1 } });
    Object.assign(inherited, { title: "t", taskType: "b" });
    for (const input of [
      { title: "t", taskType: "b", dependsOn: [] },
      { title: "t", taskType: "b", id: "x" },
      { title: "t", taskType: "b", idempotencyKey: "k" },
      { title: "t", taskType: "b", priority: undefined },
      new Input(),
      inherited,
      null,
      "t",
    ])
      expect(parseCreateTaskFast(input)).toBeUndefined();
  });

  it("returns fresh lists: the caller's and the defaults are never shared", () => {
    const tags = ["a"];
    const a = parseCreateTaskFast({ title: "t", taskType: "b", tags })!;
    const b = parseCreateTaskFast({ title: "t", taskType: "b" })!;
    const c = parseCreateTaskFast({ title: "t", taskType: "b" })!;
    expect(a.tags).not.toBe(tags);
    expect(b.tags).not.toBe(c.tags);
    expect(b.requiredSkills).not.toBe(c.requiredSkills);
  });
});

describe("parseCreateTasksFast", () => {
  it("parses a whole batch, or none of it when one item is not for it", () => {
    const ok = [
      { title: "a", taskType: "t" },
      { title: "b", taskType: "t" },
    ];
    expect(parseCreateTasksFast(ok, 10)?.map((t) => t.title)).toEqual(["a", "b"]);
    expect(parseCreateTasksFast([...ok, { title: "", taskType: "t" }], 10)).toBeUndefined();
    expect(parseCreateTasksFast(ok, 1)).toBeUndefined();
    expect(parseCreateTasksFast({ 0: ok[0], length: 1 }, 10)).toBeUndefined();
  });
});
