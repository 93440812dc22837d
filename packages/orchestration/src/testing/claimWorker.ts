/**
 * A child process for the multi-process tests: opens the database given as JSON in argv[2]
 * (openDatabase options), registers as argv[3], then claims and completes in batches until
 * nothing is left, printing the ids it completed as one JSON array. With argv[4] = "hang" it
 * claims one task and then hangs without heartbeating (to be killed).
 */
import { claimTasks } from "../claims.ts";
import { closeDatabase, openDatabase } from "../db.ts";
import { registerWorker } from "../workers.ts";
import { claimAndComplete } from "./claimLoop.ts";

const db = await openDatabase(JSON.parse(process.argv[2]!));
const workerId = process.argv[3]!;
await registerWorker(db, { workerId, role: "test" });
if (process.argv[4] === "hang") {
  const [c] = await claimTasks(db, { workerId, leaseMs: 500 });
  process.stdout.write(`${JSON.stringify(c ? [c.task.id] : [])}\n`);
  setInterval(() => {}, 1000);
} else {
  const done = await claimAndComplete(db, workerId, { limit: 25 });
  await closeDatabase(db);
  process.stdout.write(`${JSON.stringify(done)}\n`);
}
