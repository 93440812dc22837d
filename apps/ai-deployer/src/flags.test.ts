import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigUsageError, InvalidRootError, loadDeployerConfig, prepareRoot } from "./config.ts";
import { useDaemons } from "./testing/daemons.ts";
import { useSandbox } from "./testing/fixtures.ts";

const s = useSandbox();
const daemons = useDaemons();

describe("hive-deployer flags", () => {
  it("--help prints every flag and exits 0 without opening a database", async () => {
    const db = join(s.dir, "untouched.db");
    for (const help of ["--help", "-h"]) {
      const d = daemons.start(["--db", db, help]);
      expect((await d.exited).code, d.output()).toBe(0);
      for (const flag of [
        "--db",
        "--database-url",
        "--root",
        "--worker-id",
        "--lease-ms",
        "--once",
        "--log-level",
      ])
        expect(d.output()).toContain(flag);
    }
    expect(existsSync(db)).toBe(false);
  });

  it("refuses --db with --database-url (exit 2, naming both flags) and opens neither", async () => {
    const db = join(s.dir, "untouched.db");
    const d = daemons.start([
      "--db",
      db,
      "--database-url",
      "postgres://nobody@127.0.0.1:1/none",
      "--root",
      s.root,
    ]);
    expect((await d.exited).code, d.output()).toBe(2);
    expect(d.output()).toContain("give --db (SQLite) or --database-url (PostgreSQL), not both");
    expect(existsSync(db)).toBe(false);
    expect(() => loadDeployerConfig(["--db", "a.db", "--database-url", "postgres://x"], {})).toThrow(
      ConfigUsageError,
    );
  });

  it("refuses a --root that is a file or cannot be created (exit 2, naming root) and opens no database", async () => {
    const db = join(s.dir, "untouched.db");
    const file = join(s.dir, "a-file");
    writeFileSync(file, "keep me\n");
    for (const [root, why] of [
      [file, "exists and is not a directory"],
      [join(file, "below"), "cannot be created: ENOTDIR"],
    ] as const) {
      const d = daemons.start(["--db", db, "--root", root, "--once"]);
      expect((await d.exited).code, d.output()).toBe(2);
      expect(d.output()).toContain(
        `invalid configuration: root: "${root}" ${why} (--root, HIVE_DEPLOY_ROOT)`,
      );
      expect(d.output()).not.toMatch(/^\s+at /m); // a message, not a stack trace
    }
    expect(existsSync(db)).toBe(false);
    expect(readFileSync(file, "utf8")).toBe("keep me\n");
    expect(() => prepareRoot(file)).toThrow(InvalidRootError);
    const fresh = join(s.dir, "new", "root");
    expect(prepareRoot(fresh)).toBe(fresh);
    expect(statSync(fresh).isDirectory()).toBe(true);
  });

  it("writes the workerId key once in each JSON log line", async () => {
    const d = daemons.start(["--db", s.dbPath, "--root", s.root, "--worker-id", "dep-once", "--once"]);
    expect((await d.exited).code, d.output()).toBe(0);
    const lines = d
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"));
    expect(lines.some((l) => l.includes('"msg":"worker started"'))).toBe(true);
    for (const line of lines) expect(line.match(/"workerId":/g), line).toHaveLength(1);
  });
});
