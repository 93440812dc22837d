-- A queue table: every task transition leaves a dead row version and dead index entries (status is
-- indexed, so updates are not HOT), and claims walk the claim index through them until VACUUM
-- removes them. Vacuum these tables after 1,000 changes (+1 %) instead of 20 %, without throttling.
ALTER TABLE "tasks" SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.02);--> statement-breakpoint
ALTER TABLE "plan_execution" SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000, autovacuum_vacuum_cost_delay = 0);
