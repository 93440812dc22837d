import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the server received, normalised across the two protocols. */
export interface LlmCall {
  protocol: "openai" | "anthropic";
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed request body as sent. */
  body: Record<string, unknown>;
  model: string;
  system: string;
  /** The conversation without the system prompt. */
  messages: { role: string; content: string }[];
}

/**
 * What the server answers: the assistant's text, or an HTTP error; "hang" never answers; "stall"
 * sends 200 headers and the start of a body, then never finishes it.
 */
export type LlmReply = { text: string } | { status: number; body: string } | "hang" | "stall";

export interface LlmServer {
  /** http://127.0.0.1:<port>: use `${url}/v1` as an OpenAI base URL, `url` as an Anthropic one. */
  url: string;
  calls: LlmCall[];
  close: () => Promise<void>;
}

const send = (res: import("node:http").ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
};

/**
 * A local HTTP server speaking the OpenAI chat-completions protocol (POST /v1/chat/completions,
 * `Authorization: Bearer <key>`) and the Anthropic messages protocol (POST /v1/messages,
 * `x-api-key` and `anthropic-version`), answering each call with `reply(call)`. Like the real
 * APIs it refuses a wrong key with 401. Listens on 127.0.0.1, port 0.
 */
export async function startLlmServer(apiKey: string, reply: (call: LlmCall) => LlmReply): Promise<LlmServer> {
  const calls: LlmCall[] = [];
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const protocol =
        req.method === "POST" && req.url === "/v1/chat/completions"
          ? "openai"
          : req.method === "POST" && req.url === "/v1/messages"
            ? "anthropic"
            : null;
      if (!protocol) return send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
      const authorised =
        protocol === "openai"
          ? req.headers.authorization === `Bearer ${apiKey}`
          : req.headers["x-api-key"] === apiKey && typeof req.headers["anthropic-version"] === "string";
      if (!authorised) return send(res, 401, { error: { message: "invalid api key" } });
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw);
      } catch {
        return send(res, 400, { error: { message: "body is not JSON" } });
      }
      const all = (body.messages ?? []) as { role: string; content: string }[];
      const call: LlmCall = {
        protocol,
        path: req.url!,
        headers: req.headers,
        body,
        model: String(body.model),
        system:
          protocol === "openai" ? (all.find((m) => m.role === "system")?.content ?? "") : String(body.system),
        messages: all.filter((m) => m.role !== "system"),
      };
      calls.push(call);
      const r = reply(call);
      if (r === "hang") return;
      if (r === "stall") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"id":"stalled","choices":[');
        return;
      }
      if ("status" in r) return send(res, r.status, r.body);
      send(
        res,
        200,
        protocol === "openai"
          ? {
              id: `chatcmpl-${calls.length}`,
              object: "chat.completion",
              model: call.model,
              choices: [{ index: 0, message: { role: "assistant", content: r.text }, finish_reason: "stop" }],
            }
          : {
              id: `msg_${calls.length}`,
              type: "message",
              role: "assistant",
              model: call.model,
              content: [{ type: "text", text: r.text }],
              stop_reason: "end_turn",
            },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // fetch keeps connections alive; hung calls too
        server.close(() => resolve());
      }),
  };
}

/** A small valid plan in the JSON the LLM planner asks for. */
export function validPlanJson(tag = "x"): string {
  return JSON.stringify({
    sub_tasks: [
      { id: "analyse", title: `Analyse ${tag}`, task_type: "analysis", required_skills: ["analysis"] },
      { id: "build-a", title: "Build A", task_type: "implementation", dependencies: ["analyse"] },
      { id: "build-b", title: "Build B", task_type: "implementation", dependencies: ["analyse"] },
      { id: "ship", title: "Ship", task_type: "deployment", dependencies: ["build-a", "build-b"] },
    ],
    on_failure: "block",
  });
}

/** A plan whose graph has the cycle a -> b -> a. */
export function cyclicPlanJson(): string {
  return JSON.stringify({
    sub_tasks: [
      { id: "a", title: "A", dependencies: ["b"] },
      { id: "b", title: "B", dependencies: ["a"] },
    ],
  });
}
