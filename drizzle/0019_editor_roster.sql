CREATE TABLE "editor_rosters" (
	"folder_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"editors" jsonb NOT NULL,
	"signature" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "editor_rosters" ADD CONSTRAINT "editor_rosters_folder_id_nodes_id_fk" FOREIGN KEY ("folder_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;