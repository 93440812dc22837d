import { defineConfig } from "vitest/config";

// Real processes and files on a shared, slow machine: generous timeouts, forked workers.
export default defineConfig({
  test: { testTimeout: 180_000, hookTimeout: 60_000, pool: "forks", maxWorkers: 2 },
});
