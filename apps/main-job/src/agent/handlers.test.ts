import type { Task } from "@hive/models";
import type { TaskContext } from "@hive/orchestration";
import { describe, expect, it } from "vitest";
import { loadAgentConfig } from "./config.ts";
import { SimulatedFailureError, simulatedAgent } from "./handlers.ts";

function ctx(task: Partial<Task>, signal = new AbortController().signal): TaskContext {
  return {
    task: {
      taskType: "implementation",
      subtaskId: "impl-api",
      title: "t",
      currentPhase: "p",
      payload: null,
      ...task,
    } as Task,
    token: 1,
    attempt: 1,
    signal,
    log: () => {},
    heartbeat: async () => {},
  };
}

describe("simulatedAgent", () => {
  it("always fails the subtasks and task types it is told to, and only those", async () => {
    const agent = simulatedAgent(
      loadAgentConfig(["--work-ms", "0", "--fail-subtasks", "impl-doomed", "--fail-types", "review"], {}),
    );
    await expect(agent(ctx({ subtaskId: "impl-doomed" }))).rejects.toThrow(SimulatedFailureError);
    await expect(agent(ctx({ taskType: "review", subtaskId: "review" }))).rejects.toThrow(
      /simulated failure/,
    );
    await expect(agent(ctx({ subtaskId: "impl-api" }))).resolves.toMatchObject({ summary: "t: done" });
  });

  it("stops at once when its signal aborts, instead of finishing its work", async () => {
    const agent = simulatedAgent(loadAgentConfig(["--work-ms", "60000"], {}));
    const controller = new AbortController();
    const run = agent(ctx({}, controller.signal));
    controller.abort();
    await expect(run).rejects.toThrow("aborted");
  });
});
