import { afterEach, describe, expect, it } from "vitest";
import { makeRequest } from "../testing/fixtures.ts";
import {
  cyclicPlanJson,
  type LlmReply,
  type LlmServer,
  startLlmServer,
  validPlanJson,
} from "../testing/llmServer.ts";
import { createLlmPlanner, LlmPlannerDisabledError } from "./llm.ts";
import { PlannerUnavailableError, PlanRejectedError } from "./types.ts";

const KEY = "sk-test-123";

const request = makeRequest({
  taskDescription: "Build the billing service",
  contextData: { components: ["billing"] },
});

let server: LlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server answering the n-th call with replies[n] (the last one repeated). */
async function serve(replies: LlmReply[]): Promise<LlmServer> {
  server = await startLlmServer(KEY, () => replies[Math.min(server!.calls.length - 1, replies.length - 1)]!);
  return server;
}

const PROTOCOLS = [
  { provider: "openai" as const, base: (s: LlmServer) => `${s.url}/v1`, path: "/v1/chat/completions" },
  { provider: "anthropic" as const, base: (s: LlmServer) => s.url, path: "/v1/messages" },
];

describe.each(PROTOCOLS)("LLM planner over the $provider protocol", ({ provider, base, path }) => {
  const planner = (s: LlmServer, maxAttempts = 3) =>
    createLlmPlanner({
      kind: "llm",
      provider,
      apiKey: KEY,
      baseUrl: base(s),
      model: "test-model",
      maxAttempts,
    });

  it("turns a valid answer into a validated plan, asking once", async () => {
    const s = await serve([
      { text: `Here is the plan:\n\`\`\`json\n${validPlanJson("billing")}\n\`\`\`\nDone.` },
    ]);
    const out = await planner(s).plan(request);
    expect(out.planData.sub_tasks.map((t) => t.id)).toEqual(["analyse", "build-a", "build-b", "ship"]);
    expect(out.planData.sub_tasks[0]!.title).toBe("Analyse billing");
    expect(out.estimatedComplexity).toBe("medium"); // the schema's default complexity
    expect(out.generatedWorkflow).toEqual({ implementation: ["analyse", "build-a", "build-b", "ship"] });
    expect(s.calls).toHaveLength(1);
    const call = s.calls[0]!;
    expect(call).toMatchObject({ protocol: provider, path, model: "test-model" });
    expect(call.system).toMatch(/ONE JSON object/);
    expect(call.messages).toHaveLength(1);
    expect(call.messages[0]!.content).toContain("Build the billing service");
    expect(call.messages[0]!.content).toContain('"components":["billing"]');
  });

  it("asks again with the validation error in the prompt when the answer has a cycle", async () => {
    const s = await serve([{ text: cyclicPlanJson() }, { text: validPlanJson() }]);
    const out = await planner(s).plan(request);
    expect(out.planData.sub_tasks).toHaveLength(4);
    expect(s.calls).toHaveLength(2);
    const retry = s.calls[1]!.messages;
    expect(retry.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(retry[1]!.content).toBe(cyclicPlanJson());
    expect(retry[2]!.content).toContain("dependency cycle: a -> b -> a");
  });

  it("asks again with the schema error when the answer breaks the schema", async () => {
    const bad = JSON.stringify({ sub_tasks: [{ id: "x", title: "", extra: 1 }] });
    const s = await serve([{ text: bad }, { text: "no json here" }, { text: validPlanJson() }]);
    await planner(s).plan(request);
    expect(s.calls).toHaveLength(3);
    expect(s.calls[1]!.messages.at(-1)!.content).toMatch(/schema error: .*sub_tasks\.0\.title/);
    expect(s.calls[2]!.messages.at(-1)!.content).toContain("the reply holds no JSON object");
  });

  it("gives up after maxAttempts invalid answers, naming the last error", async () => {
    const dangling = JSON.stringify({ sub_tasks: [{ id: "a", title: "A", dependencies: ["ghost"] }] });
    const s = await serve([{ text: dangling }]);
    const err = await planner(s, 3)
      .plan(request)
      .catch((e) => e);
    expect(err).toBeInstanceOf(PlanRejectedError);
    expect(err.message).toContain('subtask "a" depends on "ghost", which is not in the plan');
    expect(err.message).toContain("after 3 attempts");
    expect(s.calls).toHaveLength(3);
  });

  it("reports an API error as unavailable, not as an invalid plan", async () => {
    const s = await serve([{ status: 503, body: '{"error":"overloaded"}' }]);
    const err = await planner(s)
      .plan(request)
      .catch((e) => e);
    expect(err).toBeInstanceOf(PlannerUnavailableError);
    expect(err.message).toContain("503");
    expect(s.calls).toHaveLength(1);
  });

  it("is refused by the API with a wrong key, and says the API answered 401", async () => {
    const s = await serve([{ text: validPlanJson() }]);
    const wrong = createLlmPlanner({
      kind: "llm",
      provider,
      apiKey: "sk-wrong",
      baseUrl: base(s),
      model: "m",
    });
    await expect(wrong.plan(request)).rejects.toThrow(/answered 401/);
  });

  it("stops waiting for a call that hangs, after timeoutMs or on abort", async () => {
    const s = await serve(["hang"]);
    const slow = createLlmPlanner({
      kind: "llm",
      provider,
      apiKey: KEY,
      baseUrl: base(s),
      model: "m",
      timeoutMs: 300,
    });
    await expect(slow.plan(request)).rejects.toBeInstanceOf(PlannerUnavailableError);
    const abort = new AbortController();
    const pending = planner(s).plan(request, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(PlannerUnavailableError);
  });

  it("reports an answer that stalls after its 200 headers as unavailable, after timeoutMs or on abort", async () => {
    const s = await serve(["stall"]);
    const slow = createLlmPlanner({
      kind: "llm",
      provider,
      apiKey: KEY,
      baseUrl: base(s),
      model: "m",
      timeoutMs: 300,
    });
    const err = await slow.plan(request).catch((e) => e);
    expect(err).toBeInstanceOf(PlannerUnavailableError);
    expect(err.message).toMatch(/reply broke off \(200\)/);
    const abort = new AbortController();
    const pending = planner(s).plan(request, { signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(PlannerUnavailableError);
    expect(s.calls).toHaveLength(2);
  });
});

describe("LLM planner without a key", () => {
  it("is off and says how to turn it on", () => {
    expect(() => createLlmPlanner({ kind: "llm", provider: "openai" })).toThrow(LlmPlannerDisabledError);
    expect(() => createLlmPlanner({ kind: "llm", provider: "openai" })).toThrow(
      /LLM planner is off: no API key .*OPENAI_API_KEY/,
    );
    expect(() => createLlmPlanner({ kind: "llm", provider: "anthropic" })).toThrow(/ANTHROPIC_API_KEY/);
  });
});
