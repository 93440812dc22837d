/**
 * Polls `predicate` until it returns a truthy value (returned) or `timeoutMs` passes (throws,
 * saying what was awaited and the last value seen).
 */
export async function waitUntil<T>(
  predicate: () => Promise<T> | T,
  description: string,
  timeoutMs = 45_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await predicate();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${description} (last value: ${JSON.stringify(last)})`,
  );
}
