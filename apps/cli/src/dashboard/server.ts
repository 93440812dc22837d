import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Database } from "@hive/orchestration";
import { serve } from "@hono/node-server";
import { createDashboardApp } from "./app.ts";
import { type DashboardOptions, isLoopback } from "./options.ts";

export interface RunningDashboard {
  /** Base URL, e.g. http://127.0.0.1:7878/ */
  url: string;
  port: number;
  /** Stops accepting, closes open connections, resolves when the server is closed. */
  close: () => Promise<void>;
}

/**
 * Serves the dashboard on `host:port` (HTTP). The caller has checked the token rule (required
 * off loopback) and owns `db`.
 */
export async function startDashboard(
  db: Database,
  o: DashboardOptions & { token: string; onError?: (err: unknown) => void },
): Promise<RunningDashboard> {
  const app = createDashboardApp({
    db,
    token: o.token,
    loopback: isLoopback(o.host),
    refreshMs: o.refreshMs,
    onError: o.onError,
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: o.host, port: o.port }) as Server;
    s.once("listening", () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = o.host.includes(":") ? `[${o.host}]` : o.host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
