/**
 * A child process for the multi-process tests: opens the database given as JSON in argv[2]
 * (openDatabase options), registers as argv[3], then claims and completes in batches until
 * nothing is left, printing the ids it completed as one JSON array. With argv[4] = "hang" it
 * claims one task and then hangs without heartbeating (to be killed).
 */
import { claimTasks, completeTasks } from "../claims.ts";
import { closeDatabase, openDatabase } from "../db.ts";
import { registerWorker } from "../workers.ts";

const db = await openDatabase(JSON.parse(process.argv[2]!));
const workerId = process.argv[3]!;
await registerWorker(db, { workerId, role: "test" });
if (process.argv[4] === "hang") {
  const [c] = await claimTasks(db, { workerId, leaseMs: 500 });
  process.stdout.write(`${JSON.stringify(c ? [c.task.id] : [])}\n`);
  setInterval(() => {}, 1000);
} else {
  const done: string[] = [];
  let idle = 0;
  while (idle < 5) {
    const claimed = await claimTasks(db, { workerId, limit: 25, leaseMs: 30_000 });
    if (claimed.length === 0) {
      idle++;
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    idle = 0;
    const results = await completeTasks(
      db,
      claimed.map((c) => ({ taskId: c.task.id, token: c.token, result: { by: workerId } })),
    );
    for (const r of results) if (r.ok) done.push(r.taskId);
  }
  await closeDatabase(db);
  process.stdout.write(`${JSON.stringify(done)}\n`);
}
