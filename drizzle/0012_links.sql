-- The links table had no writer yet: its new columns need no default for existing rows.
ALTER TABLE "links" ADD COLUMN "kind" text NOT NULL;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "access_token_hash" "bytea" NOT NULL;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "encrypted_label" text;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "password_cost" jsonb;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "allow_download" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "download_limit" integer;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "download_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "use_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "links" ADD COLUMN "last_used_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "links" ADD CONSTRAINT "links_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "links_owner_idx" ON "links" USING btree ("owner_id","created_at");