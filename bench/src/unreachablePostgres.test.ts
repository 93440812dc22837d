import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runMain, savedResults } from "./runMain.ts";

const out = mkdtempSync(join(tmpdir(), "hive-bench-unreachable-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const UNREACHABLE = "postgres://postgres@127.0.0.1:1/test";

describe("pnpm bench with PostgreSQL unreachable", () => {
  it("leaves the saved PostgreSQL report untouched, still writes SQLite's, and exits non-zero", async () => {
    const earlier = savedResults("postgres", true, { command: "pnpm bench --smoke (earlier run)" });
    const json = `${JSON.stringify(earlier)}\n`;
    writeFileSync(join(out, "postgres.json"), json);
    writeFileSync(join(out, "postgres.md"), "# earlier report\n");
    const run = await runMain(
      ["--smoke", "--suites", "latency", "--systems", "hive", "--merge", "--out", out],
      {
        HIVE_BENCH_PG_URL: UNREACHABLE,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/postgres was not measured: PostgreSQL is not reachable.*left as it was/);
    expect(readFileSync(join(out, "postgres.json"), "utf8")).toBe(json);
    expect(readFileSync(join(out, "postgres.md"), "utf8")).toBe("# earlier report\n");
    const sqlite = JSON.parse(readFileSync(join(out, "sqlite.json"), "utf8"));
    expect(sqlite.latency.map((l: { system: string }) => l.system)).toEqual(["hive"]);
  });
});
