import { defineConfig } from "drizzle-kit";

// Paths are relative to the repo root: `pnpm db:generate:pg` runs there.
export default defineConfig({
  dialect: "postgresql",
  schema: "./packages/orchestration/src/schema.pg.ts",
  out: "./migrations-pg",
});
