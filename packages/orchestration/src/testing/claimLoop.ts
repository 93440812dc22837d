import { claimTasks, completeTasks } from "../claims.ts";
import type { Database } from "../handle.ts";

/**
 * The loop of the multi-process tests' worker children: claims up to `limit` tasks at a time and
 * completes them (after holding them `holdMs`), until `stopped()` is true and five claims in a
 * row, 20 ms apart, found nothing. Returns the ids it completed.
 */
export async function claimAndComplete(
  db: Database,
  workerId: string,
  opts: { limit: number; holdMs?: number; stopped?: () => boolean },
): Promise<string[]> {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const done: string[] = [];
  for (let idle = 0; !(opts.stopped?.() ?? true) || idle < 5; ) {
    const claimed = await claimTasks(db, { workerId, limit: opts.limit, leaseMs: 30_000 });
    if (claimed.length === 0) {
      idle++;
      await sleep(20);
      continue;
    }
    idle = 0;
    if (opts.holdMs) await sleep(opts.holdMs);
    const results = await completeTasks(
      db,
      claimed.map((c) => ({ taskId: c.task.id, token: c.token, result: { by: workerId } })),
    );
    for (const r of results) if (r.ok) done.push(r.taskId);
  }
  return done;
}
