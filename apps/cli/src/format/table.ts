import { clean, maxOf, truncate, width } from "./text.ts";

/** One column: its header, how to get the cell, and an optional cap on its width. */
export interface Column<T> {
  header: string;
  cell: (row: T) => string;
  /** Longer cells are cut with "…" (default: no cap). */
  max?: number;
  /** Paints the (already cleaned and cut) cell, e.g. in colour. */
  paint?: (text: string, row: T) => string;
}

/**
 * A plain table for people: a header, then one line per row, columns padded to their widest
 * cell. Cells are cleaned of control characters before anything else.
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) =>
    columns.map((c) => {
      const text = clean(c.cell(r));
      return c.max ? truncate(text, c.max) : text;
    }),
  );
  const widths = columns.map((c, i) =>
    maxOf(
      cells.map((row) => width(row[i]!)),
      width(c.header),
    ),
  );
  const line = (parts: string[]) => parts.join("  ").trimEnd();
  const pad = (text: string, i: number) => text + " ".repeat(widths[i]! - width(text));
  const out = [line(columns.map((c, i) => pad(c.header.toUpperCase(), i)))];
  rows.forEach((r, ri) => {
    out.push(
      line(
        cells[ri]!.map((text, i) => {
          const padded = pad(text, i);
          const paint = columns[i]!.paint;
          return paint ? paint(text, r) + padded.slice(text.length) : padded;
        }),
      ),
    );
  });
  return out.join("\n");
}

/**
 * "key  value" lines with the keys aligned. Values are cleaned, except those marked `safe`
 * (text the CLI made itself, such as a coloured state).
 */
export function fields(
  pairs: readonly (readonly [string, string] | readonly [string, string, "safe"])[],
): string {
  const w = Math.max(...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v, safe]) => `${k.padEnd(w)}  ${safe ? v : clean(v)}`).join("\n");
}
