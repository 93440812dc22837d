import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Each file starts several daemons; files one at a time keep a 2-core machine responsive.
    fileParallelism: false,
  },
});
