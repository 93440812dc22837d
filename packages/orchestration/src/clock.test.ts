import { describe, expect, it } from "vitest";
import { newId } from "./clock.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newId", () => {
  it("makes RFC 9562 version 7 UUIDs, all distinct, their first 48 bits the creation time", () => {
    const before = Date.now();
    const ids = Array.from({ length: 50_000 }, newId);
    const after = Date.now();
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect(new Set(ids).size).toBe(ids.length);
    const ms = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms(ids[0]!)).toBeGreaterThanOrEqual(before);
    // Ahead of the clock only by the ms a burst past 2048 ids in one ms moved it.
    expect(ms(ids.at(-1)!)).toBeLessThanOrEqual(after + Math.ceil(ids.length / 2048));
    // Every variant nibble (8, 9, a, b) occurs: the random bits reach it.
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(["8", "9", "a", "b"]));
  });

  it("orders ids in the order they were made, within one millisecond too and past 4096 in one", () => {
    const ids = Array.from({ length: 20_000 }, newId);
    for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it("orders ids created in later milliseconds after earlier ones", async () => {
    const a = newId();
    await new Promise((r) => setTimeout(r, 3));
    expect(newId() > a).toBe(true);
  });
});
