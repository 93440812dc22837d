ALTER TABLE "task_dependencies" DROP CONSTRAINT "task_dependencies_task_id_tasks_id_fk";
--> statement-breakpoint
ALTER TABLE "task_dependencies" DROP CONSTRAINT "task_dependencies_depends_on_id_tasks_id_fk";
--> statement-breakpoint
-- What the two dropped foreign keys did on delete, now done by a statement trigger: an edge is
-- inserted without a parent check (createTask locks its dependencies; a plan's edges name its new
-- tasks). The function keeps the schema it was created in (Hive's), as the runs triggers do.
CREATE FUNCTION "hive_task_dependencies_follow_task_delete"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM task_dependencies WHERE task_id IN (SELECT id FROM gone);
  DELETE FROM task_dependencies WHERE depends_on_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "task_dependencies_follow_task_delete" AFTER DELETE ON "tasks" REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION "hive_task_dependencies_follow_task_delete"();
