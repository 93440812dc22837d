import { defineConfig } from "vitest/config";

// Forks: the tests start real processes (the bin, the dashboard, Chromium) and must not share a
// worker thread's state. Generous timeouts: the machine is small and shared.
export default defineConfig({
  test: { testTimeout: 120_000, hookTimeout: 120_000, pool: "forks" },
});
