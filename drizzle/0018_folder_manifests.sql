CREATE TABLE "folder_manifests" (
	"folder_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint NOT NULL,
	"writer_id" uuid NOT NULL,
	"children" jsonb NOT NULL,
	"signature" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "folder_manifests" ADD CONSTRAINT "folder_manifests_folder_id_nodes_id_fk" FOREIGN KEY ("folder_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;