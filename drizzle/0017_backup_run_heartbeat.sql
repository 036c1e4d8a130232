ALTER TABLE "backup_runs" ADD COLUMN "heartbeat_at" timestamp with time zone;
--> statement-breakpoint
UPDATE "backup_runs" SET "heartbeat_at" = coalesce("finished_at", "started_at");
--> statement-breakpoint
ALTER TABLE "backup_runs" ALTER COLUMN "heartbeat_at" SET NOT NULL;
