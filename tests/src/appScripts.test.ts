import { spawn } from "node:child_process";
import { join } from "node:path";
import { createTask, getTask, getWorker } from "@hive/orchestration";
import { waitUntil } from "@hive/orchestration/testing";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./support/daemons.ts";
import { useE2E } from "./support/e2e.ts";

describe("the apps' start scripts, as their READMEs have an operator run them", () => {
  const t = useE2E();

  it("pnpm --filter @hive/ai-deployer start: one Ctrl-C drains, the running deployment finishes and the deployer goes offline", async () => {
    const deployment = await createTask(t.db, {
      title: "slow",
      taskType: "deployment",
      payload: { strategy: "command", commands: [["sleep", "3"]], timeoutMs: 60_000 },
    });
    // Its own process group, as a command typed in a terminal: Ctrl-C signals the whole group.
    const pnpm = spawn(
      "pnpm",
      [
        "--filter",
        "@hive/ai-deployer",
        "start",
        "--",
        "--db",
        t.dbPath,
        "--root",
        join(t.dir, "deployments"),
      ],
      { cwd: repoRoot, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "" } },
    );
    let out = "";
    pnpm.stdout.on("data", (b) => {
      out += String(b);
    });
    pnpm.stderr.on("data", (b) => {
      out += String(b);
    });
    const exited = new Promise((r) => pnpm.once("close", r));
    const claimed = await waitUntil(async () => {
      const task = await getTask(t.db, deployment.id);
      return task?.status === "in_progress" ? task : null;
    }, "the deployer to claim the deployment");
    process.kill(-pnpm.pid!, "SIGINT");
    await exited;

    // Before, tsx's signal relay doubled the Ctrl-C, and the second SIGINT killed the draining
    // deployer: its task stayed in_progress until the lease ran out, the worker `draining`.
    const worker = await waitUntil(async () => {
      const w = await getWorker(t.db, claimed.assignedWorker!);
      return w?.status === "offline" ? w : null;
    }, `the deployer to go offline; its output:\n${out}`);
    expect(worker.status).toBe("offline");
    expect(await getTask(t.db, deployment.id), out).toMatchObject({ status: "completed", attempts: 1 });
  });
});
