ALTER TABLE "runs" DROP CONSTRAINT "runs_task_id_tasks_id_fk";
--> statement-breakpoint
ALTER TABLE "runs" DROP CONSTRAINT "runs_worker_id_workers_id_fk";
--> statement-breakpoint
-- What the two dropped foreign keys did on delete, now done by statement triggers: they cost
-- nothing when a run is inserted (a claim; the foreign keys' checks locked the task and the
-- worker row for every run), one statement per DELETE of tasks or workers. The functions keep the
-- schema they were created in (Hive's), whatever the search_path of the session that deletes.
CREATE FUNCTION "hive_runs_follow_task_delete"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM runs WHERE task_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "runs_follow_task_delete" AFTER DELETE ON "tasks" REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION "hive_runs_follow_task_delete"();--> statement-breakpoint
CREATE FUNCTION "hive_runs_follow_worker_delete"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE runs SET worker_id = NULL WHERE worker_id IN (SELECT id FROM gone);
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER "runs_follow_worker_delete" AFTER DELETE ON "workers" REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION "hive_runs_follow_worker_delete"();--> statement-breakpoint
-- A run row is inserted by the claim and updated once by the completion: with room left on its
-- page the update is HOT (no new entries in the three runs indexes).
ALTER TABLE "runs" SET (fillfactor = 50);
