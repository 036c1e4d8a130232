ALTER TABLE "nodes" ADD COLUMN "author_id" uuid;--> statement-breakpoint
ALTER TABLE "revisions" ADD COLUMN "author_id" uuid;--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "revisions" ADD CONSTRAINT "revisions_author_id_users_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
-- Everything stored before sharing was made by its owner.
UPDATE "nodes" SET "author_id" = "owner_id";--> statement-breakpoint
UPDATE "revisions" SET "author_id" = "owner_id";
