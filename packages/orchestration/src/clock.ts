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
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
/** Random bytes drawn in bulk: crypto.randomUUID() per id allocated ~650 bytes (its string, a slice, a concatenation). */
const pool = new Uint8Array(4096);
let at = pool.length;

export const newId = (): string => {
  const ms = Date.now();
  if (ms !== prefixMs) {
    const t = ms.toString(16).padStart(12, "0");
    prefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-7`;
    prefixMs = ms;
  }
  if (at + 10 > pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  const b = pool;
  const i = at;
  at += 10;
  // 74 random bits: 12 after the version nibble, the variant (10xx) with 14 more, then 48.
  return `${prefix}${HEX[b[i]!]!.slice(1)}${HEX[b[i + 1]!]}-${HEX[(b[i + 2]! & 0x3f) | 0x80]}${HEX[b[i + 3]!]}-${HEX[b[i + 4]!]}${HEX[b[i + 5]!]}${HEX[b[i + 6]!]}${HEX[b[i + 7]!]}${HEX[b[i + 8]!]}${HEX[b[i + 9]!]}`;
};
