import { defineConfig } from "drizzle-kit";

// Paths are relative to the repo root: `pnpm db:generate` runs there.
export default defineConfig({
  dialect: "sqlite",
  schema: "./packages/orchestration/src/schema.ts",
  out: "./migrations",
});
