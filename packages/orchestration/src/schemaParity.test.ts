import { getTableConfig as pgConfig } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pgSchema from "./schema.pg.ts";
import * as sqliteSchema from "./schema.ts";
import { testBackend } from "./testing/tempdb.ts";

const tableNames = Object.keys(sqliteSchema).filter((k) =>
  k.endsWith("Table"),
) as (keyof typeof sqliteSchema)[];

// Runs once, in the SQLite pass: it compares the two schema files, no database involved.
describe.skipIf(testBackend === "postgres")("the PostgreSQL schema", () => {
  it("has the same tables as the SQLite schema", () => {
    const pgNames = Object.keys(pgSchema).filter((k) => k.endsWith("Table"));
    expect(pgNames.sort()).toEqual([...tableNames].sort());
  });

  for (const name of tableNames) {
    it(`mirrors ${name}: columns, nullability, indexes and foreign keys`, () => {
      // biome-ignore lint/suspicious/noExplicitAny: drizzle table types differ per dialect
      const s = sqliteConfig((sqliteSchema as any)[name]);
      // biome-ignore lint/suspicious/noExplicitAny: drizzle table types differ per dialect
      const p = pgConfig((pgSchema as any)[name]);
      expect(p.name).toBe(s.name);
      const cols = (c: { name: string; notNull: boolean; primary: boolean }[]) =>
        c.map((x) => `${x.name}:${x.notNull ? "not null" : "null"}:${x.primary ? "pk" : ""}`).sort();
      expect(cols(p.columns)).toEqual(cols(s.columns));
      const idx = (list: { config: { name?: string; unique: boolean } }[]) =>
        list.map((i) => `${i.config.name}:${i.config.unique}`).sort();
      expect(idx(p.indexes)).toEqual(idx(s.indexes));
      expect(p.foreignKeys.length).toBe(s.foreignKeys.length);
    });
  }
});
