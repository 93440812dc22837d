import { defineConfig } from "vitest/config";

// The smoke run spawns ~30 worker processes on a shared machine: generous timeouts.
export default defineConfig({
  test: { testTimeout: 600_000, hookTimeout: 60_000, pool: "forks" },
});
