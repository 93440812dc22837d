PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_task_dependencies` (
	`task_id` text NOT NULL,
	`depends_on_id` text NOT NULL,
	PRIMARY KEY(`task_id`, `depends_on_id`)
);
--> statement-breakpoint
INSERT INTO `__new_task_dependencies`("task_id", "depends_on_id") SELECT "task_id", "depends_on_id" FROM `task_dependencies`;--> statement-breakpoint
DROP TABLE `task_dependencies`;--> statement-breakpoint
ALTER TABLE `__new_task_dependencies` RENAME TO `task_dependencies`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `task_deps_depends_on_idx` ON `task_dependencies` (`depends_on_id`);--> statement-breakpoint
-- What the two dropped foreign keys did on delete, now done by a trigger: an edge is inserted
-- without a parent check (createTask locks its dependencies; a plan's edges name its new tasks).
CREATE TRIGGER `task_dependencies_follow_task_delete` AFTER DELETE ON `tasks` BEGIN
  DELETE FROM `task_dependencies` WHERE `task_id` = OLD.`id`;
  DELETE FROM `task_dependencies` WHERE `depends_on_id` = OLD.`id`;
END;
