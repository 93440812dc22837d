import { describe, expect, it } from "vitest";
import { ValidationError } from "./errors.ts";
import { useTempDatabase } from "./testing/fixtures.ts";
import { Worker, type WorkerLogger } from "./worker.ts";

const t = useTempDatabase();

describe("Worker options", () => {
  it("refuses a heartbeatMs that is not shorter than leaseMs, naming the field and the rule", () => {
    for (const heartbeatMs of [1000, 300]) {
      let err: unknown;
      try {
        new Worker({ db: t.db, role: "r", leaseMs: 300, heartbeatMs, handler: () => {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(/heartbeatMs: must be shorter than leaseMs/);
      expect((err as ValidationError).issues.map((i) => i.path)).toEqual(["heartbeatMs"]);
    }
    expect(
      new Worker({ db: t.db, role: "r", leaseMs: 300, heartbeatMs: 100, handler: () => {} }),
    ).toBeInstanceOf(Worker);
  });

  it("warns, but accepts, a heartbeatMs longer than half the lease (one late renewal loses the lease)", () => {
    const warnings: string[] = [];
    const logger: WorkerLogger = { info() {}, warn: (_o, msg) => warnings.push(msg ?? ""), error() {} };
    new Worker({ db: t.db, role: "r", leaseMs: 1000, heartbeatMs: 500, handler: () => {}, logger });
    expect(warnings).toEqual([]);
    new Worker({ db: t.db, role: "r", leaseMs: 1000, heartbeatMs: 800, handler: () => {}, logger });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/heartbeatMs/);
  });

  it("refuses a bad backoff policy at construction, naming the field (not later, when a task fails)", () => {
    for (const backoff of [{ jitter: 2 }, { baseDelayMs: -1 }, { nope: 1 } as never]) {
      let err: unknown;
      try {
        new Worker({ db: t.db, role: "r", backoff, handler: () => {} });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(/backoff/);
    }
    expect(new Worker({ db: t.db, role: "r", backoff: { jitter: 0.5 }, handler: () => {} })).toBeInstanceOf(
      Worker,
    );
  });
});
