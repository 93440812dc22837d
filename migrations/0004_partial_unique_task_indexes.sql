DROP INDEX `tasks_plan_subtask_uq`;--> statement-breakpoint
DROP INDEX `tasks_idempotency_uq`;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_plan_subtask_uq` ON `tasks` (`plan_id`,`subtask_id`) WHERE "tasks"."plan_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_idempotency_uq` ON `tasks` (`idempotency_key`) WHERE "tasks"."idempotency_key" IS NOT NULL;