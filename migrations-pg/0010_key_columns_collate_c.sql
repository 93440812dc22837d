-- Ids and the claim index's status compared byte by byte (COLLATE "C"), not by the database's
-- default collation: see `key` in schema.pg.ts. Same type, so no table is rewritten; each
-- table's indexes on these columns are rebuilt once (one ALTER TABLE per table).
ALTER TABLE "tasks" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C", ALTER COLUMN "status" SET DATA TYPE text COLLATE "C", ALTER COLUMN "status" SET DEFAULT 'queued';--> statement-breakpoint
ALTER TABLE "workers" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C", ALTER COLUMN "current_task_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "runs" ALTER COLUMN "id" SET DATA TYPE text COLLATE "C", ALTER COLUMN "task_id" SET DATA TYPE text COLLATE "C", ALTER COLUMN "worker_id" SET DATA TYPE text COLLATE "C";--> statement-breakpoint
ALTER TABLE "task_dependencies" ALTER COLUMN "task_id" SET DATA TYPE text COLLATE "C", ALTER COLUMN "depends_on_id" SET DATA TYPE text COLLATE "C";
