import type { Run } from "@hive/models";
import { KeyArgSchema } from "@hive/models";
import type { Db } from "./handle.ts";
import { type RunRowRaw, runFromRow } from "./rows.ts";
import { withRead } from "./tx.ts";
import { parseInput } from "./validate.ts";

/**
 * SQL for the number of a task's latest run (bind the task id): its current run while it is in
 * progress. Run numbers keep growing across a requeue that resets the task's attempt count, so
 * they are not the attempt number.
 */
export const LATEST_RUN_NUMBER = "(SELECT MAX(run_number) FROM runs WHERE task_id = ?)";

/** The runs (attempts) of a task, oldest first. */
export async function getRuns(db: Db, taskId: string): Promise<Run[]> {
  const id = parseInput(KeyArgSchema, taskId, "task id");
  return withRead(db, async (ex) =>
    (await ex.all<RunRowRaw>("SELECT * FROM runs WHERE task_id = ? ORDER BY run_number", [id])).map(
      runFromRow,
    ),
  );
}
