import { describe, expect, it } from "vitest";
import { argsFromCommandLine, benchConfig } from "./config.ts";
import { DAG_SHAPES } from "./dagPlans.ts";

const config = (...argv: string[]) => benchConfig(argsFromCommandLine(argv, {}));

describe("bench options", () => {
  it("measures every DAG shape unless --dag-shapes names some", () => {
    expect(config().dag.shapes).toEqual([...DAG_SHAPES]);
    expect(config("--dag-shapes", "chain,fan-in").dag.shapes).toEqual(["chain", "fan-in"]);
  });

  it("rejects a DAG shape it does not know", () => {
    expect(() => config("--dag-shapes", "chain,star")).toThrow(/dagShapes/);
  });

  it("takes increasing DAG sizes, the first being the growth base", () => {
    expect(config("--dag-sizes", "500,5000").dag.sizes).toEqual([500, 5000]);
    expect(() => config("--dag-sizes", "5000,500")).toThrow(/increasing/);
    expect(() => config("--dag-sizes", "500,500")).toThrow(/increasing/);
  });

  it("names the options it knows when given one it does not", () => {
    expect(() => config("--dag-shape", "chain")).toThrow(/--dag-shapes/);
  });
});
