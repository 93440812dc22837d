import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { closeDatabase, openDatabase } from "./db.ts";
import { ValidationError } from "./errors.ts";
import { TEST_PG_URL } from "./testing/tempdb.ts";

const dirs: string[] = [];
const savedUrl = process.env.HIVE_DATABASE_URL;
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (savedUrl === undefined) delete process.env.HIVE_DATABASE_URL;
  else process.env.HIVE_DATABASE_URL = savedUrl;
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hive-open-"));
  dirs.push(dir);
  return dir;
}

async function refusal(open: Promise<unknown>): Promise<ValidationError> {
  const err = await open.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe("openDatabase: which database", () => {
  it("refuses a url that is not a PostgreSQL URL, naming the option (pg read 'notaurl' as a host named 'base')", async () => {
    for (const url of ["notaurl", "mysql://root@127.0.0.1/test", "127.0.0.1:5432/test"]) {
      const err = await refusal(openDatabase({ url }));
      expect(err.issues).toEqual([{ path: "url", message: expect.stringMatching(/PostgreSQL URL/) }]);
    }
  });

  it("refuses a $HIVE_DATABASE_URL that is not a PostgreSQL URL, saying it came from there", async () => {
    process.env.HIVE_DATABASE_URL = "sqlite:///tmp/x.db";
    const err = await refusal(openDatabase({}));
    expect(err.message).toContain("$HIVE_DATABASE_URL");
  });

  it("refuses a path and a url together and creates nothing (the url won, silently)", async () => {
    const dir = tempDir();
    const path = join(dir, "a.db");
    const err = await refusal(openDatabase({ path, url: TEST_PG_URL }));
    expect(err.issues[0]?.message).toBe("give path or url, not both");
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("still opens a path alone while $HIVE_DATABASE_URL is set (the path wins over the environment)", async () => {
    process.env.HIVE_DATABASE_URL = "notaurl";
    const path = join(tempDir(), "b.db");
    const db = await openDatabase({ path });
    expect(db.kind).toBe("sqlite");
    await closeDatabase(db);
    expect(existsSync(path)).toBe(true);
  });
});
