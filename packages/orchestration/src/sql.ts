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
  /** Rows as arrays of values in select-list order (cheaper than objects on hot paths). */
  values(sql: string, params?: readonly SqlParam[]): Promise<unknown[][]>;
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

/**
 * A row source from one JSON array parameter (`?`) of objects, as `j` with the given columns:
 * set-based statements bind a whole batch as one value (SQLite parses it in C; PostgreSQL in
 * one round trip). Types are PostgreSQL's (text, bigint); SQLite takes the JSON values as they are.
 */
export function jsonRows(dialect: "sqlite" | "postgres", columns: Record<string, "text" | "bigint">): string {
  const names = Object.keys(columns);
  if (dialect === "sqlite")
    return `(SELECT ${names.map((c) => `value ->> '${c}' AS ${c}`).join(", ")} FROM json_each(?)) AS j`;
  return `json_to_recordset(?::json) AS j(${names.map((c) => `${c} ${columns[c]}`).join(", ")})`;
}

/** A row source of the strings in one JSON array parameter (`?`), as `ids(id)`. */
export function jsonIds(dialect: "sqlite" | "postgres"): string {
  return dialect === "sqlite"
    ? "(SELECT value AS id FROM json_each(?)) AS ids"
    : "json_array_elements_text(?::json) AS ids(id)";
}
