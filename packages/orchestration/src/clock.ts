/** The one clock of the package (milliseconds since the epoch, UTC). */
export const now = (): number => Date.now();

/**
 * UUID version 7 ids (RFC 9562): the first 48 bits are the creation time in ms, the rest random.
 * Rows created together get nearby keys, so inserting tasks and runs appends to the ends of
 * their B-tree indexes instead of dirtying a random page per row (with v4 ids every commit wrote
 * a page per index per row to the WAL; bench/results/ANALYSIS.md). Still a standard UUID string.
 */
let prefixMs = -1;
let prefix = "";
export const newId = (): string => {
  const ms = Date.now();
  if (ms !== prefixMs) {
    const t = ms.toString(16).padStart(12, "0");
    prefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-7`;
    prefixMs = ms;
  }
  return prefix + crypto.randomUUID().slice(15);
};
