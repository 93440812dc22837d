// Test helpers for packages and apps that test against Hive (`@hive/orchestration/testing`):
// a fresh migrated database per test on either backend, and polling on state instead of timing.
export { TEST_PG_URL, type TempDatabase, tempDatabase, testBackend } from "./tempdb.ts";
export { waitUntil } from "./waitUntil.ts";
