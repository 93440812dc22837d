/**
 * The executor every operation runs its SQL through. Operations are written once against this
 * interface; a backend supplies connections and transactions. SQL uses `?` placeholders.
 */
export type SqlParam = string | number | bigint | null | Buffer;

export interface SqlExecutor {
  readonly dialect: "sqlite" | "postgres";
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlParam[]): Promise<{ changes: number }>;
}

/** `(?, ?, ?)` for n values. */
export function placeholders(n: number): string {
  return `(${new Array(n).fill("?").join(", ")})`;
}

/** Split a list into chunks below the backend's bound-parameter limit. */
export function chunk<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
