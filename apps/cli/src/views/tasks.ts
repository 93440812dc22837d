import type { Run, Task, TaskStatus } from "@hive/models";
import { type Database, getRuns, getTask, getTaskDependencies } from "@hive/orchestration";

/** A task with the tasks it waits for and its runs (attempts) with their output logs. */
export interface TaskView {
  task: Task;
  dependencies: { id: string; title: string | null; status: TaskStatus | null }[];
  runs: Run[];
}

/** The task in full, or null when there is no such task. */
export async function loadTaskView(db: Database, taskId: string): Promise<TaskView | null> {
  const task = await getTask(db, taskId);
  if (!task) return null;
  const [depIds, runs] = await Promise.all([getTaskDependencies(db, taskId), getRuns(db, taskId)]);
  const deps = await Promise.all(depIds.map((id) => getTask(db, id)));
  return {
    task,
    dependencies: depIds.map((id, i) => ({
      id,
      title: deps[i]?.title ?? null,
      status: deps[i]?.status ?? null,
    })),
    runs,
  };
}
