/**
 * A child process for the multi-process test of creations racing completions: opens the database
 * given as JSON in argv[2] (openDatabase options), prints "ready", and starts on a "go" line on
 * stdin. argv[3] = "work": registers as argv[4], claims up to 10 tasks at a time and completes
 * them after holding them 20 ms (so dependencies stay in progress while others create tasks on
 * them), until a "stop" line has come and nothing is left; prints the ids it completed as one
 * JSON array. argv[3] = "create": creates one task on each task of type "dep", in the order
 * argv[4] ("forward" or "backward"), one transaction each; prints the ids it created, and
 * "refused:<dependency id>" where createTask found the dependency gone. argv[3] = "purge":
 * calls purgeFinished (everything finished, 50 of a kind at a time) until "stop", then prints the
 * ids it removed. argv[3] = "runtime": runs a Worker (concurrency 8, prefetch 56, argv[4] commit
 * lanes) from "go" until "stop", then prints the ids of the tasks its handler ran.
 */
import { createInterface } from "node:readline";
import { closeDatabase, openDatabase } from "../db.ts";
import { DependencyNotFoundError } from "../errors.ts";
import { purgeFinished } from "../retention.ts";
import { createTask, listTasks } from "../tasks.ts";
import { Worker } from "../worker.ts";
import { registerWorker } from "../workers.ts";
import { claimAndComplete } from "./claimLoop.ts";

const db = await openDatabase(JSON.parse(process.argv[2]!));
const mode = process.argv[3]!;
const lines = createInterface({ input: process.stdin });
let stopped = false;
const go = new Promise<void>((resolve) =>
  lines.on("line", (line) => {
    if (line === "go") resolve();
    if (line === "stop") stopped = true;
  }),
);
const out: string[] = [];

if (mode === "work") {
  const workerId = process.argv[4]!;
  await registerWorker(db, { workerId, role: "test" });
  process.stdout.write("ready\n");
  await go;
  out.push(...(await claimAndComplete(db, workerId, { limit: 10, holdMs: 20, stopped: () => stopped })));
} else if (mode === "runtime") {
  const worker = new Worker({
    db,
    role: "test",
    concurrency: 8,
    prefetch: 56,
    commitLanes: Number(process.argv[4]),
    handler: ({ task }) => {
      out.push(task.id);
    },
  });
  process.stdout.write("ready\n");
  await go;
  await worker.start();
  while (!stopped) await new Promise((resolve) => setTimeout(resolve, 5));
  await worker.stop();
} else if (mode === "purge") {
  process.stdout.write("ready\n");
  await go;
  while (!stopped) {
    const r = await purgeFinished(db, { olderThanMs: 0, limit: 50 });
    out.push(...r.tasks);
    if (!r.more) await new Promise((resolve) => setTimeout(resolve, 5));
  }
} else {
  const deps = await listTasks(db, { taskType: "dep", limit: 100_000 });
  if (process.argv[4] === "backward") deps.reverse();
  process.stdout.write("ready\n");
  await go;
  for (const dep of deps)
    try {
      out.push(
        (await createTask(db, { title: `on ${dep.title}`, taskType: "dependent", dependsOn: [dep.id] })).id,
      );
    } catch (err) {
      if (!(err instanceof DependencyNotFoundError)) throw err;
      out.push(`refused:${dep.id}`);
    }
}
await closeDatabase(db);
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
