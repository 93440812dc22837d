/**
 * Text helpers for terminal output. Everything printed that came from the database goes through
 * `clean`: a task title holding an escape sequence must not be able to drive the terminal.
 */

// C0 controls (tab and newline included: a table cell is one line), DEL, C1 controls, and the
// bidirectional overrides that can make text read differently from what it is.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The text with every control character replaced by a visible `\xNN` / `\uNNNN` escape. */
export function clean(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/** Like `clean`, but keeps newlines (for multi-line output logs). */
export function cleanLines(text: string): string {
  return text.split(/\r?\n/).map(clean).join("\n");
}

/** Length in code points (close enough to columns for the text we print). */
export const width = (text: string): number => [...text].length;

/** Cuts the text to `max` columns, marking the cut with "…". */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** "3s ago", "5m ago", "2h ago", "4d ago"; "in 3s" for the future. */
export function ago(ts: number | null, now: number): string {
  if (ts === null) return "-";
  const d = now - ts;
  const abs = Math.abs(d);
  const s = Math.round(abs / 1000);
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86_400
          ? `${Math.floor(s / 3600)}h`
          : `${Math.floor(s / 86_400)}d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** "[#######---] 70%" */
export function progressBar(percent: number, size = 20): string {
  const p = Math.max(0, Math.min(100, percent));
  const full = Math.round((p / 100) * size);
  return `[${"#".repeat(full)}${"-".repeat(size - full)}] ${Math.round(p)}%`;
}

/** ANSI styles, on only for a terminal that wants colour. */
export interface Style {
  readonly enabled: boolean;
  paint(text: string, code: number): string;
}

/** Colour when stdout is a TTY and NO_COLOR is unset (https://no-color.org). */
export function makeStyle(enabled: boolean): Style {
  return {
    enabled,
    paint: (text, code) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text),
  };
}

const STATE_MARKS: Record<string, { mark: string; color: number }> = {
  completed: { mark: "✔", color: 32 },
  in_progress: { mark: "▶", color: 36 },
  queued: { mark: "○", color: 33 },
  blocked: { mark: "·", color: 90 },
  failed: { mark: "✖", color: 31 },
  cancelled: { mark: "⊘", color: 35 },
  upstream_failed: { mark: "⊗", color: 31 },
};

const markOf = (state: string) => STATE_MARKS[state] ?? { mark: "?", color: 90 };

/** The mark of a task state ("✔"), coloured when the style is on. */
export const stateMark = (state: string, style: Style): string =>
  style.paint(markOf(state).mark, markOf(state).color);

/** The name of a task state, coloured when the style is on. */
export const stateName = (state: string, style: Style): string =>
  style.paint(clean(state), markOf(state).color);

/** Mark and name: "✔ completed". */
export const stateLabel = (state: string, style: Style): string =>
  style.paint(`${markOf(state).mark} ${clean(state)}`, markOf(state).color);

/** "2025-01-02T03:04:05.000Z (3s ago)", or "-" for null. */
export const when = (ts: number | null, now: number): string =>
  ts === null ? "-" : `${new Date(ts).toISOString()} (${ago(ts, now)})`;

/** "1.2s", "3m 4s", for a duration in ms. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return s < 3600
    ? `${Math.floor(s / 60)}m ${s % 60}s`
    : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** The largest value, or `floor` (no spread: lists may hold 100k items, beyond the argument limit). */
export function maxOf(values: Iterable<number>, floor = 0): number {
  let m = floor;
  for (const v of values) if (v > m) m = v;
  return m;
}
