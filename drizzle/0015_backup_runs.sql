CREATE TABLE "backup_runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"status" text NOT NULL,
	"snapshot" text,
	"size_bytes" bigint,
	"duration_ms" integer,
	"kept_snapshots" jsonb,
	"error" text,
	CONSTRAINT "backup_runs_due_at_unique" UNIQUE("due_at")
);
--> statement-breakpoint
CREATE INDEX "backup_runs_finished_idx" ON "backup_runs" USING btree ("status","finished_at");