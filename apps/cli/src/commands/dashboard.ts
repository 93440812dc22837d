import { closeDatabase } from "@hive/orchestration";
import type { Command } from "commander";
import { openBackend } from "../config.ts";
import { contextOf, type Io } from "../context.ts";
import { DashboardOptionsSchema, isLoopback } from "../dashboard/options.ts";
import { UsageError } from "../exitCodes.ts";

const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: "the address is in use",
  EACCES: "permission denied",
  EADDRNOTAVAIL: "no such address on this machine",
  ENOTFOUND: "no such host",
};

/** A bind that fails on the operator's --host/--port is a usage error in one line, not a stack. */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== "string" || !(code in LISTEN_REASONS)) return err;
  return new UsageError(
    `cannot listen on ${host}:${port}: ${LISTEN_REASONS[code]} (${code}); choose another --port or --host`,
    { cause: err },
  );
}

/**
 * `hive dashboard`: serves the web page and JSON API until SIGINT/SIGTERM. On loopback without
 * a token, one is generated and printed in the page's URL (after '#', so it never reaches a log).
 */
export function registerDashboard(program: Command, io: Io): void {
  program
    .command("dashboard")
    .description("web dashboard and JSON API (loopback by default; actions need the token)")
    .option("--host <address>", "address to bind; off loopback a token is required", "127.0.0.1")
    .option("--port <port>", "TCP port (0: any free port)", "7878")
    .option("--token <token>", "token for actions and off-loopback access (or $HIVE_DASHBOARD_TOKEN)")
    .option("--refresh-ms <ms>", "how often the page refreshes", "1000")
    .action(async (raw: Record<string, string | undefined>, cmd: Command) => {
      const ctx = contextOf(cmd, io);
      const o = DashboardOptionsSchema.parse({
        ...raw,
        token: raw.token ?? (io.env.HIVE_DASHBOARD_TOKEN || undefined),
      });
      if (!o.token && !isLoopback(o.host))
        throw new UsageError(
          `binding to ${o.host} exposes the dashboard to the network: give a token with --token or $HIVE_DASHBOARD_TOKEN`,
        );
      // Loaded here, not at the top: every other command starts faster without the HTTP stack.
      const { newToken } = await import("../dashboard/auth.ts");
      const { startDashboard } = await import("../dashboard/server.ts");
      const token = o.token ?? newToken();
      const db = await openBackend(ctx.backend);
      const dashboard = await startDashboard(db, {
        ...o,
        token,
        onError: (err) =>
          io.stderr(`dashboard error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
      }).catch(async (err) => {
        await closeDatabase(db);
        throw listenError(err, o.host, o.port);
      });
      const info = { url: dashboard.url, backend: db.kind, location: db.location, tokenGenerated: !o.token };
      ctx.emit(o.token ? info : { ...info, actionUrl: `${dashboard.url}#token=${token}` }, () =>
        [
          `hive dashboard listening on ${dashboard.url} (${db.kind} ${db.location})`,
          o.token
            ? "actions need the token given with --token / $HIVE_DASHBOARD_TOKEN"
            : `actions need a token; open ${dashboard.url}#token=${token}`,
        ].join("\n"),
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await dashboard.close();
      await closeDatabase(db);
    });
}
