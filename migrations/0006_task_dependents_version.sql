ALTER TABLE `tasks` ADD `dependents_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Tasks that already have dependents (edges written before this column existed).
UPDATE `tasks` SET `dependents_version` = 1 WHERE `id` IN (SELECT `depends_on_id` FROM `task_dependencies`);
