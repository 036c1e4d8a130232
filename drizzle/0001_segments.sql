CREATE TABLE "revision_segments" (
	"revision_id" uuid NOT NULL,
	"first_index" integer NOT NULL,
	"chunk_count" integer NOT NULL,
	CONSTRAINT "revision_segments_revision_id_first_index_chunk_count_pk" PRIMARY KEY("revision_id","first_index","chunk_count")
);
--> statement-breakpoint
ALTER TABLE "revision_segments" ADD CONSTRAINT "revision_segments_revision_id_revisions_id_fk" FOREIGN KEY ("revision_id") REFERENCES "public"."revisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Earlier versions stored one blob per chunk, under the key a one-chunk segment still has.
INSERT INTO "revision_segments" ("revision_id", "first_index", "chunk_count")
SELECT "revisions"."id", "chunk"."index", 1
FROM "revisions" CROSS JOIN LATERAL generate_series(0, "revisions"."chunk_count" - 1) AS "chunk"("index")
WHERE "revisions"."completed_at" IS NOT NULL;--> statement-breakpoint
INSERT INTO "revision_segments" ("revision_id", "first_index", "chunk_count")
SELECT "uploads"."revision_id", "upload_chunks"."index", 1
FROM "upload_chunks" INNER JOIN "uploads" ON "uploads"."id" = "upload_chunks"."upload_id"
WHERE "uploads"."completed_at" IS NULL;--> statement-breakpoint
DROP TABLE "upload_chunks" CASCADE;
