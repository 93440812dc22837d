import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { Worker, type WorkerOptions } from "./worker.ts";

const t = useTempDatabase();

describe("Worker identity options", () => {
  it("refuses at construction, naming the field, what registration would refuse at start()", () => {
    const cases: [string, Omit<WorkerOptions, "db" | "handler">][] = [
      ["role", { role: "x".repeat(101) }],
      ["capabilities", { role: "r", capabilities: [""] }],
      ["capabilities", { role: "r", capabilities: Array.from({ length: 101 }, (_, i) => `s${i}`) }],
      ["workerId", { role: "r", workerId: "x".repeat(201) }],
    ];
    for (const [field, options] of cases) {
      let err: unknown;
      try {
        new Worker({ db: t.db, handler: () => {}, ...options });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toContain(field);
    }
  });
});
