CREATE TABLE `execution_plans` (
	`id` text PRIMARY KEY NOT NULL,
	`planning_task_id` text NOT NULL,
	`plan_data` text NOT NULL,
	`estimated_duration` integer,
	`estimated_complexity` text,
	`generated_workflow` text,
	`subtask_count` integer DEFAULT 0 NOT NULL,
	`dependency_count` integer DEFAULT 0 NOT NULL,
	`generated_at` integer NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`planning_task_id`) REFERENCES `planning_queue`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `idx_execution_plans_status` ON `execution_plans` (`status`);--> statement-breakpoint
CREATE INDEX `execution_plans_request_idx` ON `execution_plans` (`planning_task_id`);--> statement-breakpoint
CREATE TABLE `plan_execution` (
	`id` text PRIMARY KEY NOT NULL,
	`plan_id` text NOT NULL,
	`current_phase` text,
	`progress_percent` integer DEFAULT 0 NOT NULL,
	`total_subtasks` integer DEFAULT 0 NOT NULL,
	`active_subtasks` integer DEFAULT 0 NOT NULL,
	`completed_subtasks` integer DEFAULT 0 NOT NULL,
	`failed_subtasks` integer DEFAULT 0 NOT NULL,
	`blocked_subtasks` integer DEFAULT 0 NOT NULL,
	`execution_notes` text,
	`started_at` integer,
	`updated_at` integer NOT NULL,
	`completed_at` integer,
	FOREIGN KEY (`plan_id`) REFERENCES `execution_plans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `idx_plan_execution_plan_id` ON `plan_execution` (`plan_id`);--> statement-breakpoint
CREATE TABLE `planning_queue` (
	`id` text PRIMARY KEY NOT NULL,
	`task_description` text NOT NULL,
	`priority` integer DEFAULT 1 NOT NULL,
	`requestor` text,
	`context_data` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`complexity_estimate` text,
	`created_at` integer NOT NULL,
	`assigned_at` integer,
	`completed_at` integer,
	`assigned_agent` text,
	`error_message` text,
	`attempts` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idx_planning_queue_status` ON `planning_queue` (`status`);--> statement-breakpoint
CREATE INDEX `planning_queue_claim_idx` ON `planning_queue` (`status`,"priority" desc,`created_at`);--> statement-breakpoint
CREATE TABLE `runs` (
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
	`transcript` text,
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`worker_id`) REFERENCES `workers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_task_run_number_uq` ON `runs` (`task_id`,`run_number`);--> statement-breakpoint
CREATE INDEX `idx_runs_task_id` ON `runs` (`task_id`);--> statement-breakpoint
CREATE INDEX `idx_runs_worker_id` ON `runs` (`worker_id`);--> statement-breakpoint
CREATE TABLE `task_dependencies` (
	`task_id` text NOT NULL,
	`depends_on_id` text NOT NULL,
	PRIMARY KEY(`task_id`, `depends_on_id`),
	FOREIGN KEY (`task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`depends_on_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `task_deps_depends_on_idx` ON `task_dependencies` (`depends_on_id`);--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`description` text,
	`task_type` text NOT NULL,
	`priority` integer DEFAULT 1 NOT NULL,
	`status` text DEFAULT 'queued' NOT NULL,
	`current_phase` text DEFAULT 'start' NOT NULL,
	`workflow` text,
	`payload` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`assigned_worker` text,
	`due_date` integer,
	`max_retries` integer DEFAULT 3 NOT NULL,
	`tags` text DEFAULT '[]' NOT NULL,
	`required_skills` text DEFAULT '[]' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_token` integer DEFAULT 0 NOT NULL,
	`lease_expires_at` integer,
	`run_at` integer NOT NULL,
	`idempotency_key` text,
	`plan_id` text,
	`subtask_id` text,
	`pending_deps` integer DEFAULT 0 NOT NULL,
	`cancel_requested` integer DEFAULT 0 NOT NULL,
	`result` text,
	`last_error` text,
	`completed_at` integer,
	FOREIGN KEY (`plan_id`) REFERENCES `execution_plans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `tasks_claim_idx` ON `tasks` (`status`,"priority" desc,`created_at`);--> statement-breakpoint
CREATE INDEX `idx_tasks_status` ON `tasks` (`status`);--> statement-breakpoint
CREATE INDEX `idx_tasks_priority` ON `tasks` (`priority`);--> statement-breakpoint
CREATE INDEX `tasks_lease_idx` ON `tasks` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `tasks_plan_idx` ON `tasks` (`plan_id`,`status`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_plan_subtask_uq` ON `tasks` (`plan_id`,`subtask_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_idempotency_uq` ON `tasks` (`idempotency_key`);--> statement-breakpoint
CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`last_heartbeat` integer NOT NULL,
	`capabilities` text DEFAULT '[]' NOT NULL,
	`current_task_id` text,
	`metadata` text,
	`registered_at` integer NOT NULL,
	FOREIGN KEY (`current_task_id`) REFERENCES `tasks`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE INDEX `idx_workers_status` ON `workers` (`status`);--> statement-breakpoint
CREATE INDEX `idx_workers_role` ON `workers` (`role`);--> statement-breakpoint
CREATE INDEX `workers_heartbeat_idx` ON `workers` (`status`,`last_heartbeat`);