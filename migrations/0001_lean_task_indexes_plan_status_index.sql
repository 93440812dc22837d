DROP INDEX `idx_tasks_status`;--> statement-breakpoint
DROP INDEX `idx_tasks_priority`;--> statement-breakpoint
CREATE INDEX `execution_plans_id_status_idx` ON `execution_plans` (`id`,`status`);