import { closeDatabase, openDatabase } from "../db.ts";
import { Worker } from "../worker.ts";
import type { TempDatabase } from "./tempdb.ts";

/**
 * A worker on its own connection to the test database that polls at most once a minute: within a
 * test, only a wake-up (SQLite: data_version; PostgreSQL: NOTIFY) makes it pick work up. `ran`
 * lists the ids of the tasks its handler ran; `stop()` stops it and closes its connection.
 */
export async function wakeOnlyWorker(temp: TempDatabase): Promise<{ ran: string[]; stop(): Promise<void> }> {
  const db = await openDatabase(temp.openOptions);
  const ran: string[] = [];
  const worker = await new Worker({
    db,
    role: "test",
    pollMinMs: 60_000,
    pollMaxMs: 60_000,
    reaperIntervalMs: 0,
    handler: ({ task }) => {
      ran.push(task.id);
    },
  }).start();
  return {
    ran,
    stop: async () => {
      await worker.stop();
      await closeDatabase(db);
    },
  };
}
