/** Number formatting and plain/markdown tables for the reports. */

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 12,345 */
export function fmtRate(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : int.format(v);
}

export function fmtFixed(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(digits);
}

/** "Hive ÷ this": how many times Hive's figure is this one's (higher is better for Hive). */
export function fmtRatio(hive: number | null | undefined, other: number | null | undefined): string {
  if (!hive || !other) return "–";
  return `${(hive / other).toFixed(2)}×`;
}

export type Table = { headers: string[]; rows: string[][] };

export function markdownTable(t: Table): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  return [
    `| ${t.headers.map(esc).join(" | ")} |`,
    `| ${t.headers.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

export function textTable(t: Table): string {
  const widths = t.headers.map((h, k) => Math.max(h.length, ...t.rows.map((r) => (r[k] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k]!)).join("  ");
  return [line(t.headers), widths.map((w) => "-".repeat(w)).join("  "), ...t.rows.map(line)].join("\n");
}
