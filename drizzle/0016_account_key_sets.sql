ALTER TABLE "users" ADD COLUMN "key_set" jsonb;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "key_set_version" integer;