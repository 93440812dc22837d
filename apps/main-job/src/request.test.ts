import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ValidationError } from "@hive/orchestration";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadMainConfig } from "./config.ts";
import { prepareRequest } from "./request.ts";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "main-job-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const prepare = (args: string[]) => prepareRequest(loadMainConfig(["x.db", ...args], {}), dir);

describe("prepareRequest", () => {
  it("submits the sample, with a deployable artifact, when no request is given", () => {
    const r = prepare([]);
    expect(r.taskDescription).toMatch(/web service/);
    expect(r.contextData).toMatchObject({ deployment: { strategy: "local", target: "sample-app" } });
  });

  it("takes the request from the command line, its context from --context or --context-file", () => {
    expect(prepare(["-d", "build an api", "-c", '{"components":["api"]}'])).toMatchObject({
      taskDescription: "build an api",
      contextData: { components: ["api"] },
      requestor: "main-job",
    });
    const file = join(dir, "ctx.json");
    writeFileSync(file, '{"complexity":"simple"}');
    expect(prepare(["-d", "x", "--context-file", file]).contextData).toEqual({ complexity: "simple" });
  });

  it("names the field and the rule of a bad request", () => {
    const big = join(dir, "big.json");
    writeFileSync(big, JSON.stringify({ blob: "x".repeat(300_000) }));
    const cases: [string[], RegExp][] = [
      [["-d", ""], /taskDescription: must not be empty/],
      [["-d", "x", "-c", "{oops"], /--context: not JSON/],
      [["-d", "x", "-c", "[]"], /--context: must be a JSON object/],
      [["-d", "x", "--context-file", big], /contextData: must serialize to at most 262144 bytes/],
      [["-d", "x", "--context-file", join(dir, "missing.json")], /cannot read --context-file/],
      [["-d", "x", "-c", "{}", "--context-file", big], /not both/],
    ];
    for (const [args, message] of cases) {
      expect(() => prepare(args)).toThrow(ValidationError);
      expect(() => prepare(args)).toThrow(message);
    }
  });
});
