import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MergeMismatchError, mergePrevious, runBench } from "./bench.ts";
import { benchConfig, runSizes, SUITES, type Suite } from "./config.ts";
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
      benchConfig({ out, backend: "sqlite", suites: ["processing", "memory"], merge: true, smoke: true }),
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
    mergePrevious(
      now,
      benchConfig({ out, backend: "sqlite", suites: [...SUITES], merge: true, smoke: true }),
    );
    expect(now.merged).toBeNull();
    expect(now.enqueue).toEqual([{ system: "new" }]);
    expect(now.errors).toEqual(["enqueue new failed", "memory new failed"]);
  });
});

const system = (id: string, version: string) =>
  ({ id, label: id, role: "peer", version, settings: `${id} settings` }) as const;

describe("pnpm bench --merge --systems", () => {
  it("keeps the versions, settings and rows of the systems not run again", () => {
    const old = results("old", "2026-01-01T00:00:00Z");
    old.systems = [system("hive", "old"), system("plainjob", "plainjob 0.0.14")];
    old.processing = [
      { system: "hive", processes: 1, rate: 1 },
      { system: "plainjob", processes: 1, rate: 2 },
    ] as never;
    old.errors = ["processing plainjob × 1 (run 1): boom", "processing hive × 1 (run 1): old"];
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(old));
    const now = results("new", "2026-02-01T00:00:00Z");
    now.systems = [system("hive", "new")];
    now.processing = [{ system: "hive", processes: 1, rate: 3 }] as never;
    now.errors = [];
    mergePrevious(
      now,
      benchConfig({
        out,
        backend: "sqlite",
        suites: ["processing"],
        systems: ["hive"],
        merge: true,
        smoke: true,
      }),
    );
    expect(now.systems.map((s) => [s.id, s.version])).toEqual([
      ["hive", "new"],
      ["plainjob", "plainjob 0.0.14"],
    ]);
    expect(now.processing).toEqual([
      { system: "hive", processes: 1, rate: 3 },
      { system: "plainjob", processes: 1, rate: 2 },
    ]);
    expect(now.errors).toEqual(["processing plainjob × 1 (run 1): boom"]);
    expect(now.merged?.systems).toEqual(["plainjob"]);
  });
});

describe("pnpm bench --merge at other sizes", () => {
  it("refuses to merge a full run into a smoke report, and the reverse", () => {
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(results("old", "2026-01-01T00:00:00Z")));
    const now = results("new", "2026-02-01T00:00:00Z");
    now.smoke = false;
    expect(() =>
      mergePrevious(now, benchConfig({ out, backend: "sqlite", suites: ["processing"], merge: true })),
    ).toThrow(MergeMismatchError);
    writeFileSync(
      join(out, "sqlite.json"),
      JSON.stringify({ ...results("old", "2026-01-01T00:00:00Z"), smoke: false }),
    );
    expect(() =>
      mergePrevious(
        now,
        benchConfig({ out, backend: "sqlite", suites: ["processing"], merge: true, smoke: true }),
      ),
    ).toThrow(/is a full run and this is a --smoke run/);
  });

  it("refuses to keep a suite measured at other sizes than this run's", () => {
    const smoke = benchConfig({ smoke: true, out, backend: "sqlite", memoryQueued: 500 });
    writeFileSync(
      join(out, "sqlite.json"),
      JSON.stringify({ ...results("old", "2026-01-01T00:00:00Z"), sizes: runSizes(smoke) }),
    );
    const merge = (memoryQueued?: number, suites: Suite[] = ["processing"]) =>
      mergePrevious(
        results("new", "2026-02-01T00:00:00Z"),
        benchConfig({ out, backend: "sqlite", suites, merge: true, smoke: true, memoryQueued }),
      );
    expect(() => merge()).toThrow(/other sizes \(memory/);
    expect(() => merge(500)).not.toThrow();
    // Memory measured again: its earlier size does not matter.
    expect(() => merge(undefined, ["memory"])).not.toThrow();
  });

  it("refuses before measuring anything", async () => {
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(results("old", "2026-01-01T00:00:00Z")));
    const log: string[] = [];
    await expect(
      runBench(benchConfig({ out, backend: "sqlite", suites: ["latency"], merge: true }), (l) => log.push(l)),
    ).rejects.toThrow(MergeMismatchError);
    expect(log).toEqual([]);
  });
});
