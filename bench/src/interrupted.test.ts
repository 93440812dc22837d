import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_PG_URL } from "./config.ts";
import { runMain } from "./runMain.ts";

const parent = mkdtempSync(join(tmpdir(), "hive-bench-interrupted-"));
afterAll(() => rmSync(parent, { recursive: true, force: true }));
const out = join(parent, "out");

const pgUrl = process.env.HIVE_BENCH_PG_URL ?? DEFAULT_PG_URL;

async function schemasOf(pid: number): Promise<string[]> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string }>(
      "SELECT nspname AS name FROM pg_namespace WHERE starts_with(nspname, $1)",
      [`bench_${pid}_`],
    );
    return rows.map((r) => r.name);
  } finally {
    await c.end();
  }
}

describe("pnpm bench interrupted", () => {
  // Ctrl-C in a terminal reaches pnpm, tsx and the benchmark at once, and the first two pass it
  // on: the benchmark sees SIGINT more than once, and must still clean up.
  for (const [signal, code, times] of [
    ["SIGTERM", 143, 1],
    ["SIGINT", 130, 1],
    ["SIGINT", 130, 3],
  ] as const)
    it(`drops its schemas, removes its temp dir and exits ${code} on ${signal} × ${times}`, async () => {
      let pid = 0;
      let seen: string[] = [];
      let sent = false;
      let repeats = times - 1;
      const run = await runMain(
        ["--smoke", "--backend", "postgres", "--suites", "latency", "--systems", "hive", "--out", out],
        { HIVE_BENCH_PG_URL: pgUrl },
        (log, child) => {
          pid = child.pid!;
          // Repeated once the cleanup has begun (signals sent at once would merge into one).
          if (sent && repeats > 0 && /cleaning up this run/.test(log)) {
            repeats--;
            child.kill(signal);
          }
          // During the latency run, once its schema exists (it is dropped when the run ends).
          if (sent || !/latency hive/.test(log)) return;
          sent = true;
          const poll = async () => {
            for (let k = 0; k < 500 && seen.length === 0; k++) {
              seen = await schemasOf(pid);
              if (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
            }
            child.kill(signal);
          };
          void poll();
        },
      );
      expect(seen.length).toBeGreaterThan(0);
      expect(run.code, run.stderr).toBe(code);
      if (times > 1) expect(run.stderr).toMatch(/the cleanup is under way/);
      const tmp = /schemas \S+, (\/\S+hive-bench-\S+)\)/.exec(run.stderr)?.[1];
      expect(tmp).toBeDefined();
      expect(existsSync(tmp!)).toBe(false);
      expect(await schemasOf(pid)).toEqual([]);
      // Nothing written: the run did not finish.
      expect(existsSync(out)).toBe(false);
    });
});
