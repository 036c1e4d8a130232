ALTER TABLE "nodes" ADD COLUMN "author_signature" jsonb;--> statement-breakpoint
ALTER TABLE "uploads" ADD COLUMN "author_signature" jsonb;