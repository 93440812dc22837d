PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`task_id` text NOT NULL,
	`worker_id` text,
	`run_number` integer NOT NULL,
	`status` text DEFAULT 'running' NOT NULL,
	`phase` text,
	`started_at` integer NOT NULL,
	`completed_at` integer,
	`result_data` text,
	`error_message` text,
	`output_log` text,
	`transcript` text
);
--> statement-breakpoint
INSERT INTO `__new_runs`("id", "task_id", "worker_id", "run_number", "status", "phase", "started_at", "completed_at", "result_data", "error_message", "output_log", "transcript") SELECT "id", "task_id", "worker_id", "run_number", "status", "phase", "started_at", "completed_at", "result_data", "error_message", "output_log", "transcript" FROM `runs`;--> statement-breakpoint
DROP TABLE `runs`;--> statement-breakpoint
ALTER TABLE `__new_runs` RENAME TO `runs`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `runs_task_run_number_uq` ON `runs` (`task_id`,`run_number`);--> statement-breakpoint
CREATE INDEX `idx_runs_worker_id` ON `runs` (`worker_id`);--> statement-breakpoint
-- What the two dropped foreign keys did on delete, now done by triggers: they cost nothing when a
-- run is inserted (a claim), only when a task or worker is deleted.
CREATE TRIGGER `runs_follow_task_delete` AFTER DELETE ON `tasks` BEGIN
  DELETE FROM `runs` WHERE `task_id` = OLD.`id`;
END;--> statement-breakpoint
CREATE TRIGGER `runs_follow_worker_delete` AFTER DELETE ON `workers` BEGIN
  UPDATE `runs` SET `worker_id` = NULL WHERE `worker_id` = OLD.`id`;
END;
