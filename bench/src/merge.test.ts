import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mergePrevious } from "./bench.ts";
import { benchConfig, SUITES } from "./config.ts";
import type { BackendResults } from "./results.ts";

const out = mkdtempSync(join(tmpdir(), "hive-bench-merge-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** A report of one backend with one figure per suite, marked by `tag`. */
function results(tag: string, startedAt: string): BackendResults {
  return {
    backend: "sqlite",
    smoke: true,
    command: `pnpm bench ${tag}`,
    startedAt,
    seconds: 1,
    skipped: null,
    errors: [`enqueue ${tag} failed`, `memory ${tag} failed`],
    merged: null,
    environment: {},
    systems: [],
    enqueue: [{ system: tag } as never],
    processing: [{ system: tag } as never],
    latency: [{ system: tag } as never],
    dag: [{ shape: tag } as never],
    memory: { tag } as never,
    targets: [],
  };
}

describe("pnpm bench --merge", () => {
  it("keeps the suites not run now from the earlier report, with its errors and start time", () => {
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(results("old", "2026-01-01T00:00:00Z")));
    const now = results("new", "2026-02-01T00:00:00Z");
    mergePrevious(
      now,
      benchConfig({ out, backend: "sqlite", suites: ["processing", "memory"], merge: true }),
    );
    expect(now.merged).toEqual({ suites: ["enqueue", "latency", "dag"], from: "2026-01-01T00:00:00Z" });
    expect(now.enqueue).toEqual([{ system: "old" }]);
    expect(now.processing).toEqual([{ system: "new" }]);
    expect(now.memory).toEqual({ tag: "new" });
    expect(now.errors).toEqual(["enqueue old failed", "enqueue new failed", "memory new failed"]);
  });

  it("says nothing was merged when every suite was run again", () => {
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(results("old", "2026-01-01T00:00:00Z")));
    const now = results("new", "2026-02-01T00:00:00Z");
    mergePrevious(now, benchConfig({ out, backend: "sqlite", suites: [...SUITES], merge: true }));
    expect(now.merged).toBeNull();
    expect(now.enqueue).toEqual([{ system: "new" }]);
    expect(now.errors).toEqual(["enqueue new failed", "memory new failed"]);
  });
});
