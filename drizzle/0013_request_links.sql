CREATE TABLE "request_links" (
	"id" uuid PRIMARY KEY NOT NULL,
	"node_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"encrypted_label" text,
	"message" text NOT NULL,
	"message_signature" text NOT NULL,
	"max_files" integer NOT NULL,
	"max_bytes" bigint NOT NULL,
	"file_count" integer DEFAULT 0 NOT NULL,
	"byte_count" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "request_uploads" (
	"id" uuid PRIMARY KEY NOT NULL,
	"request_link_id" uuid NOT NULL,
	"owner_id" uuid NOT NULL,
	"revision_id" uuid NOT NULL,
	"node_id" uuid NOT NULL,
	"parent_id" uuid NOT NULL,
	"seal" jsonb NOT NULL,
	"encrypted_metadata" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "request_uploads_revision_id_unique" UNIQUE("revision_id"),
	CONSTRAINT "request_uploads_node_id_unique" UNIQUE("node_id")
);
--> statement-breakpoint
ALTER TABLE "nodes" ADD COLUMN "request_link_id" uuid;--> statement-breakpoint
ALTER TABLE "request_links" ADD CONSTRAINT "request_links_node_id_nodes_id_fk" FOREIGN KEY ("node_id") REFERENCES "public"."nodes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_links" ADD CONSTRAINT "request_links_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_uploads" ADD CONSTRAINT "request_uploads_request_link_id_request_links_id_fk" FOREIGN KEY ("request_link_id") REFERENCES "public"."request_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_uploads" ADD CONSTRAINT "request_uploads_owner_id_users_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_uploads" ADD CONSTRAINT "request_uploads_revision_id_revisions_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."revisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "request_links_node_idx" ON "request_links" USING btree ("node_id");--> statement-breakpoint
CREATE INDEX "request_links_owner_idx" ON "request_links" USING btree ("owner_id","created_at");--> statement-breakpoint
CREATE INDEX "request_uploads_owner_idx" ON "request_uploads" USING btree ("owner_id","completed_at");--> statement-breakpoint
CREATE INDEX "request_uploads_expires_idx" ON "request_uploads" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "nodes" ADD CONSTRAINT "nodes_request_link_id_request_links_id_fk" FOREIGN KEY ("request_link_id") REFERENCES "public"."request_links"("id") ON DELETE set null ON UPDATE no action;