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
/**
 * The 12 bits after the version nibble count the ids of this process within one ms (RFC 9562
 * §6.2, method 1), from a random start below 2048: ids made in order sort in order, so a batch
 * created in one ms lists in creation order (listTasks breaks created_at ties by id). Past 4095
 * the prefix moves to the next ms, ahead of the clock by at most what a burst needs.
 */
let counter = 0;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const HEX3 = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, "0"));
/** Random bytes drawn in bulk: crypto.randomUUID() per id allocated ~650 bytes (its string, a slice, a concatenation). */
const pool = new Uint8Array(4096);
let at = pool.length;

function setPrefix(ms: number): void {
  const t = ms.toString(16).padStart(12, "0");
  prefix = `${t.slice(0, 8)}-${t.slice(8, 12)}-7`;
  prefixMs = ms;
}

export const newId = (): string => {
  if (at + 10 > pool.length) {
    crypto.getRandomValues(pool);
    at = 0;
  }
  const b = pool;
  const i = at;
  at += 10;
  const ms = Date.now();
  if (ms > prefixMs) {
    setPrefix(ms);
    counter = ((b[i]! << 8) | b[i + 1]!) & 0x7ff;
  } else if (++counter > 0xfff) {
    setPrefix(prefixMs + 1);
    counter = 0;
  }
  // The counter, the variant (10xx) with 14 random bits, then 48 more.
  return `${prefix}${HEX3[counter]}-${HEX[(b[i + 2]! & 0x3f) | 0x80]}${HEX[b[i + 3]!]}-${HEX[b[i + 4]!]}${HEX[b[i + 5]!]}${HEX[b[i + 6]!]}${HEX[b[i + 7]!]}${HEX[b[i + 8]!]}${HEX[b[i + 9]!]}`;
};
