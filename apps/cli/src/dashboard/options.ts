import { integerText } from "@hive/models";
import { z } from "zod";

/** `hive dashboard` flags, validated once. */
export const DashboardOptionsSchema = z.strictObject({
  /** Address to bind (default loopback). Any other address requires a token. */
  host: z.string().min(1).default("127.0.0.1"),
  /** TCP port (0: any free port). */
  port: integerText({ min: 0, max: 65_535 }).default(7878),
  /** Bearer token for actions (and for every API call on a non-loopback bind). */
  token: z.string().min(16, "must be at least 16 characters").max(512).optional(),
  /** How often the page refreshes its data, in ms. */
  refreshMs: integerText({ min: 200, max: 60_000 }).default(1000),
});
export type DashboardOptions = z.output<typeof DashboardOptionsSchema>;

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}
