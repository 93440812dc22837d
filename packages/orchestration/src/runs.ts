import type { Run } from "@hive/models";
import { z } from "zod";
import type { Db } from "./handle.ts";
import { type RunRowRaw, runFromRow } from "./rows.ts";
import { withRead } from "./tx.ts";
import { parseInput } from "./validate.ts";

/** The runs (attempts) of a task, oldest first. */
export async function getRuns(db: Db, taskId: string): Promise<Run[]> {
  const id = parseInput(z.string().min(1), taskId, "task id");
  return withRead(db, async (ex) =>
    (await ex.all<RunRowRaw>("SELECT * FROM runs WHERE task_id = ? ORDER BY run_number", [id])).map(
      runFromRow,
    ),
  );
}
