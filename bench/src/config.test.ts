import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { systemsOf } from "./bench.ts";
import { argsFromCommandLine, benchConfig, SYSTEM_IDS } from "./config.ts";
import { DAG_SHAPES } from "./dagPlans.ts";
import { runMain } from "./runMain.ts";

const config = (...argv: string[]) => benchConfig(argsFromCommandLine(argv, {}));

describe("bench options", () => {
  it("measures every DAG shape unless --dag-shapes names some", () => {
    expect(config().dag.shapes).toEqual([...DAG_SHAPES]);
    expect(config("--dag-shapes", "chain,fan-in").dag.shapes).toEqual(["chain", "fan-in"]);
  });

  it("rejects a DAG shape it does not know", () => {
    expect(() => config("--dag-shapes", "chain,star")).toThrow(/^--dag-shapes \(value 2\): .*"chain"/);
  });

  it("takes increasing DAG sizes, the first being the growth base", () => {
    expect(config("--dag-sizes", "500,5000").dag.sizes).toEqual([500, 5000]);
    expect(() => config("--dag-sizes", "5000,500")).toThrow(/increasing/);
    expect(() => config("--dag-sizes", "500,500")).toThrow(/increasing/);
  });

  it("names the flag, not a schema path, when a value is refused", () => {
    expect(() => config("--backend", "mysql")).toThrow(/^--backend: .*"sqlite"\|"postgres"\|"all"/);
    expect(() => config("--memory-queued", "lots")).toThrow(/^--memory-queued: .*number/);
    expect(() => config("--dag-sizes", "5,10")).toThrow(/^--dag-sizes \(value 1\): .*>=10/);
    // A flag followed by another flag has no value (not `--smoke` taken as the backend).
    expect(() => config("--backend", "--smoke")).toThrow(/^--backend needs a value$/);
  });

  it("names the options it knows when given one it does not", () => {
    expect(() => config("--dag-shape", "chain")).toThrow(/--dag-shapes/);
  });
});

describe("bench --help", () => {
  it("prints the options and exits 0, measuring and writing nothing", async () => {
    const parent = mkdtempSync(join(tmpdir(), "hive-bench-help-"));
    const out = join(parent, "out");
    try {
      for (const flag of ["--help", "-h"]) {
        const run = await runMain(["--smoke", flag, "--out", out]);
        expect(run.code).toBe(0);
        for (const option of [
          "--smoke",
          "--backend",
          "--suites",
          "--systems",
          "--merge",
          "--render",
          "--out",
        ])
          expect(run.stdout).toContain(option);
        expect(run.stdout).toContain(SYSTEM_IDS.postgres.join(", "));
        expect(run.stderr).not.toMatch(/\[sqlite\]|\[postgres\]/);
        expect(existsSync(out)).toBe(false);
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it("exits 2 with the flag named on a bad value", async () => {
    const run = await runMain(["--smoke", "--backend", "mysql"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^pnpm bench: --backend: /m);
    expect(run.stderr).not.toContain('"code"');
  });
});

describe("bench --systems", () => {
  it("knows the systems that the benchmark builds for each backend", () => {
    for (const backend of ["sqlite", "postgres"] as const)
      expect(systemsOf(backend, 8).map((s) => s.id)).toEqual([...SYSTEM_IDS[backend]]);
  });

  it("rejects a system it does not know, naming the known ones", () => {
    expect(() => config("--systems", "nope")).toThrow(/unknown system nope .*known: hive, raw-batched/);
  });

  it("rejects a system of the other backend", () => {
    expect(() => config("--backend", "sqlite", "--systems", "hive,graphile-worker")).toThrow(
      /unknown system graphile-worker for --backend sqlite \(known: hive, raw-batched, raw-naive, plainjob, liteque\)/,
    );
    expect(config("--systems", "graphile-worker,plainjob").systems).toEqual(["graphile-worker", "plainjob"]);
  });

  it("exits 2 and writes nothing for an unknown system", async () => {
    const parent = mkdtempSync(join(tmpdir(), "hive-bench-systems-"));
    const out = join(parent, "out");
    try {
      const run = await runMain(["--smoke", "--systems", "nope", "--out", out]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown system nope/);
      expect(existsSync(out)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
