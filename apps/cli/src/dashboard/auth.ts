import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { isLoopback } from "./options.ts";

/** A fresh random token (192 bits, URL-safe). */
export const newToken = (): string => randomBytes(24).toString("base64url");

/** Compares in constant time (hashes first, so lengths leak nothing either). */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token of a request, or null. */
export function bearerOf(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m ? m[1]! : null;
}

export interface GuardOptions {
  token: string;
  /** Bound to loopback: reads are open to this machine, but only under a loopback Host name. */
  loopback: boolean;
}

/**
 * Access rules of the API.
 * - On a loopback bind, the Host header must name loopback too: a web page elsewhere that
 *   rebinds its DNS name to 127.0.0.1 would otherwise read the API from the user's browser.
 * - Reads need the token unless the bind is loopback; actions (any non-GET) always need it.
 * - A cross-origin action is refused even with a token (the page never makes one).
 */
export function guard(o: GuardOptions): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? "";
    const hostname = host.replace(/:\d+$/, "");
    if (o.loopback && !isLoopback(hostname))
      return c.json({ error: "forbidden host: this dashboard answers only to a loopback name" }, 403);
    const isRead = c.req.method === "GET" || c.req.method === "HEAD";
    if (!c.req.path.startsWith("/api/")) return next();
    if (!isRead) {
      const origin = c.req.header("origin");
      if (origin && origin !== `http://${host}` && origin !== `https://${host}`)
        return c.json({ error: "cross-origin request refused" }, 403);
    }
    if (isRead && o.loopback) return next();
    const given = bearerOf(c.req.header("authorization"));
    if (given === null || !tokensEqual(given, o.token)) {
      c.header("WWW-Authenticate", 'Bearer realm="hive"');
      return c.json(
        {
          error: given === null ? "a token is required: send Authorization: Bearer <token>" : "wrong token",
        },
        401,
      );
    }
    return next();
  };
}
