DROP INDEX `tasks_lease_idx`;--> statement-breakpoint
DROP INDEX `tasks_plan_idx`;--> statement-breakpoint
CREATE INDEX `tasks_lease_idx` ON `tasks` (`lease_expires_at`) WHERE "tasks"."status" = 'in_progress';--> statement-breakpoint
CREATE INDEX `tasks_plan_idx` ON `tasks` (`plan_id`,`status`) WHERE "tasks"."plan_id" IS NOT NULL;