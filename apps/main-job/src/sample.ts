import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** A small build artifact and the context of the sample request the main job submits. */
export function prepareSample(workDir: string): { description: string; context: Record<string, unknown> } {
  const artifact = join(workDir, "artifacts", "sample-app");
  mkdirSync(artifact, { recursive: true });
  writeFileSync(join(artifact, "index.html"), "<!doctype html><title>sample</title><p>Hello from Hive</p>\n");
  writeFileSync(
    join(artifact, "health.mjs"),
    "import { existsSync } from 'node:fs';\nprocess.exit(existsSync('index.html') ? 0 : 1);\n",
  );
  return {
    description: "Build and deploy a small web service with an api, a frontend and a database layer",
    context: {
      components: ["api", "frontend", "database"],
      target_environment: "local",
      complexity: "medium",
      deployment: {
        strategy: "local",
        artifact,
        target: "sample-app",
        healthCheck: { command: [process.execPath, "health.mjs"], timeoutMs: 10_000 },
        keepReleases: 3,
      },
    },
  };
}
