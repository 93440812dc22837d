import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NothingToRenderError, runBench, textReport } from "./bench.ts";
import { benchConfig, configOfResults, runSizes } from "./config.ts";
import { runMain, savedResults } from "./runMain.ts";

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "hive-bench-render-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("pnpm bench --render", () => {
  it("fails, writing nothing, when the output folder holds no report", async () => {
    const out = tempDir();
    await expect(runBench(benchConfig({ render: true, out }), () => {})).rejects.toThrow(
      NothingToRenderError,
    );
    expect(readdirSync(out)).toEqual([]);
    const run = await runMain(["--render", "--out", out]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no report to render in/);
    expect(readdirSync(out)).toEqual([]);
  });

  it("describes the saved run's sizes, not the current command's", async () => {
    const out = tempDir();
    const smoke = benchConfig({ smoke: true, out });
    writeFileSync(
      join(out, "sqlite.json"),
      JSON.stringify(savedResults("sqlite", true, { sizes: runSizes(smoke) })),
    );
    await runBench(benchConfig({ render: true, out, backend: "sqlite" }), () => {});
    const md = readFileSync(join(out, "sqlite.md"), "utf8");
    expect(md).toContain("(smoke run)");
    expect(md).toContain(`Processing ${smoke.processing.n} no-op tasks`);
    // The printed tables say so too, beside the verdicts they head.
    const saved = JSON.parse(readFileSync(join(out, "sqlite.json"), "utf8"));
    const text = textReport(saved, configOfResults(benchConfig({ out }), saved));
    expect(text.split("\n")[0]).toMatch(/^== SQLite \(smoke run: .*say nothing about the targets\) ==$/);
  });

  it("takes a smoke report written before sizes were saved at the smoke sizes", async () => {
    const out = tempDir();
    writeFileSync(join(out, "sqlite.json"), JSON.stringify(savedResults("sqlite", true)));
    await runBench(benchConfig({ render: true, out, backend: "sqlite" }), () => {});
    const md = readFileSync(join(out, "sqlite.md"), "utf8");
    expect(md).toContain("(smoke run)");
    expect(md).toContain(`Processing ${benchConfig({ smoke: true }).processing.n} no-op tasks`);
    expect(existsSync(join(out, "postgres.md"))).toBe(false);
  });
});
