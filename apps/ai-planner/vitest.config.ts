import { defineConfig } from "vitest/config";

// Forks: the daemon tests spawn real planner processes and hold SQLite connections; a process per
// test file keeps them apart. Timeouts are generous for a loaded 2-core machine.
export default defineConfig({
  test: { testTimeout: 90_000, hookTimeout: 60_000, pool: "forks" },
});
