CREATE TABLE "execution_plans" (
	"id" text PRIMARY KEY NOT NULL,
	"planning_task_id" text NOT NULL,
	"plan_data" text NOT NULL,
	"estimated_duration" integer,
	"estimated_complexity" text,
	"generated_workflow" text,
	"subtask_count" integer DEFAULT 0 NOT NULL,
	"dependency_count" integer DEFAULT 0 NOT NULL,
	"generated_at" bigint NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"version" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plan_execution" (
	"id" text PRIMARY KEY NOT NULL,
	"plan_id" text NOT NULL,
	"current_phase" text,
	"progress_percent" integer DEFAULT 0 NOT NULL,
	"total_subtasks" integer DEFAULT 0 NOT NULL,
	"active_subtasks" integer DEFAULT 0 NOT NULL,
	"completed_subtasks" integer DEFAULT 0 NOT NULL,
	"failed_subtasks" integer DEFAULT 0 NOT NULL,
	"blocked_subtasks" integer DEFAULT 0 NOT NULL,
	"execution_notes" text,
	"started_at" bigint,
	"updated_at" bigint NOT NULL,
	"completed_at" bigint
);
--> statement-breakpoint
CREATE TABLE "planning_queue" (
	"id" text PRIMARY KEY NOT NULL,
	"task_description" text NOT NULL,
	"priority" integer DEFAULT 1 NOT NULL,
	"requestor" text,
	"context_data" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"complexity_estimate" text,
	"created_at" bigint NOT NULL,
	"assigned_at" bigint,
	"completed_at" bigint,
	"assigned_agent" text,
	"error_message" text,
	"attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" text PRIMARY KEY NOT NULL,
	"task_id" text NOT NULL,
	"worker_id" text,
	"run_number" integer NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"phase" text,
	"started_at" bigint NOT NULL,
	"completed_at" bigint,
	"result_data" text,
	"error_message" text,
	"output_log" text,
	"transcript" text
);
--> statement-breakpoint
CREATE TABLE "task_dependencies" (
	"task_id" text NOT NULL,
	"depends_on_id" text NOT NULL,
	CONSTRAINT "task_dependencies_task_id_depends_on_id_pk" PRIMARY KEY("task_id","depends_on_id")
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"task_type" text NOT NULL,
	"priority" integer DEFAULT 1 NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"current_phase" text DEFAULT 'start' NOT NULL,
	"workflow" text,
	"payload" text,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"assigned_worker" text,
	"due_date" bigint,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"tags" text DEFAULT '[]' NOT NULL,
	"required_skills" text DEFAULT '[]' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"lease_token" integer DEFAULT 0 NOT NULL,
	"lease_expires_at" bigint,
	"run_at" bigint NOT NULL,
	"idempotency_key" text,
	"plan_id" text,
	"subtask_id" text,
	"pending_deps" integer DEFAULT 0 NOT NULL,
	"cancel_requested" integer DEFAULT 0 NOT NULL,
	"result" text,
	"last_error" text,
	"completed_at" bigint
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"id" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"last_heartbeat" bigint NOT NULL,
	"capabilities" text DEFAULT '[]' NOT NULL,
	"current_task_id" text,
	"metadata" text,
	"registered_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "execution_plans" ADD CONSTRAINT "execution_plans_planning_task_id_planning_queue_id_fk" FOREIGN KEY ("planning_task_id") REFERENCES "public"."planning_queue"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plan_execution" ADD CONSTRAINT "plan_execution_plan_id_execution_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."execution_plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_worker_id_workers_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."workers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_dependencies" ADD CONSTRAINT "task_dependencies_depends_on_id_tasks_id_fk" FOREIGN KEY ("depends_on_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_plan_id_execution_plans_id_fk" FOREIGN KEY ("plan_id") REFERENCES "public"."execution_plans"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workers" ADD CONSTRAINT "workers_current_task_id_tasks_id_fk" FOREIGN KEY ("current_task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_execution_plans_status" ON "execution_plans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "execution_plans_request_idx" ON "execution_plans" USING btree ("planning_task_id");--> statement-breakpoint
CREATE UNIQUE INDEX "idx_plan_execution_plan_id" ON "plan_execution" USING btree ("plan_id");--> statement-breakpoint
CREATE INDEX "idx_planning_queue_status" ON "planning_queue" USING btree ("status");--> statement-breakpoint
CREATE INDEX "planning_queue_claim_idx" ON "planning_queue" USING btree ("status","priority" DESC NULLS LAST,"created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_task_run_number_uq" ON "runs" USING btree ("task_id","run_number");--> statement-breakpoint
CREATE INDEX "idx_runs_task_id" ON "runs" USING btree ("task_id");--> statement-breakpoint
CREATE INDEX "idx_runs_worker_id" ON "runs" USING btree ("worker_id");--> statement-breakpoint
CREATE INDEX "task_deps_depends_on_idx" ON "task_dependencies" USING btree ("depends_on_id");--> statement-breakpoint
CREATE INDEX "tasks_claim_idx" ON "tasks" USING btree ("status","priority" DESC NULLS LAST,"created_at");--> statement-breakpoint
CREATE INDEX "idx_tasks_status" ON "tasks" USING btree ("status");--> statement-breakpoint
CREATE INDEX "idx_tasks_priority" ON "tasks" USING btree ("priority");--> statement-breakpoint
CREATE INDEX "tasks_lease_idx" ON "tasks" USING btree ("status","lease_expires_at");--> statement-breakpoint
CREATE INDEX "tasks_plan_idx" ON "tasks" USING btree ("plan_id","status");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_plan_subtask_uq" ON "tasks" USING btree ("plan_id","subtask_id");--> statement-breakpoint
CREATE UNIQUE INDEX "tasks_idempotency_uq" ON "tasks" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "idx_workers_status" ON "workers" USING btree ("status");--> statement-breakpoint
CREATE INDEX "idx_workers_role" ON "workers" USING btree ("role");--> statement-breakpoint
CREATE INDEX "workers_heartbeat_idx" ON "workers" USING btree ("status","last_heartbeat");