/**
 * The statements Coffer sends to Postgres for the load benchmark's three requests, copied as Postgres logged them
 * (log_statement = 'all' on a Coffer serving the loop), so that the bare + Postgres ceiling asks the database exactly
 * what Coffer asks it. If Coffer's queries change, copy them again from the log.
 */

/** Every request: the session by its token's hash (server/http/auth.ts). */
export const SESSION = `select "users"."id", "users"."role", "users"."quota_bytes", "sessions"."id", "sessions"."credential_id", "sessions"."stepped_up_at", "sessions"."created_at", "sessions"."last_seen_at" from "sessions" inner join "users" on "users"."id" = "sessions"."user_id" where ("sessions"."token_hash" = $1 and ("sessions"."revoked_at" is null and "sessions"."expires_at" > $2 and "sessions"."created_at" > $3) and "users"."disabled_at" is null)`;

/** At most once a minute per session: its idle expiry pushed out. */
export const SLIDE_SESSION = `update "sessions" set "last_seen_at" = $1, "expires_at" = $2 where "sessions"."token_hash" = $3`;

/** Every request, twice (the address's bucket, then the account's), when the rate limits are counted. */
export const TAKE_TOKEN = `insert into "request_rate_limits" ("bucket", "full_at") values ($1, $2::timestamptz + $3::double precision * interval '1 millisecond') on conflict ("bucket") do update set "full_at" = greatest("request_rate_limits"."full_at", $4::timestamptz) + $5::double precision * interval '1 millisecond' where "request_rate_limits"."full_at" <= $6::timestamptz + $7::double precision * interval '1 millisecond' returning "full_at"`;

const NODE_COLUMNS = `"id", "owner_id", "parent_id", "kind", "wrapped_key", "encrypted_metadata", "current_revision_id", "author_id", "request_link_id", "author_signature", "created_at", "updated_at", "trashed_at"`;
const JOINED_COLUMNS = `"nodes"."id", "nodes"."owner_id", "nodes"."parent_id", "nodes"."kind", "nodes"."wrapped_key", "nodes"."encrypted_metadata", "nodes"."current_revision_id", "nodes"."author_id", "nodes"."request_link_id", "nodes"."author_signature", "nodes"."created_at", "nodes"."updated_at", "nodes"."trashed_at", "revisions"."id", "revisions"."node_id", "revisions"."owner_id", "revisions"."number", "revisions"."header", "revisions"."chunk_size", "revisions"."chunk_count", "revisions"."size", "revisions"."thumbnail_bytes", "revisions"."author_id", "revisions"."created_at", "revisions"."completed_at"`;

/** Listing and download: the node the request names, to authorize it. */
export const NODE = `select ${NODE_COLUMNS} from "nodes" where "nodes"."id" = $1`;
export const LIST_CHILDREN = `select ${JOINED_COLUMNS} from "nodes" left join "revisions" on "revisions"."id" = "nodes"."current_revision_id" where ("nodes"."parent_id" = $1 and "nodes"."owner_id" = $2 and "nodes"."trashed_at" is null) order by "nodes"."created_at" asc, "nodes"."id" asc`;
export const FOLDER_MANIFEST = `select "folder_id", "version", "writer_id", "children", "signature", "updated_at" from "folder_manifests" where "folder_manifests"."folder_id" = $1`;

/** Upload, before its first transaction: the parent folder (the scope of the place the file goes). */
export const NODES_IN = `select ${NODE_COLUMNS} from "nodes" where "nodes"."id" in ($1)`;

/** Upload, first transaction: the quota lock and usage, the id checks, the folder check, the reservation. */
export const LOCK_QUOTA = `select "quota_bytes" from "users" where "users"."id" = $1 for update`;
export const USAGE = `select (select coalesce(sum(stored.bytes), 0) from (
	    select greatest(owned.size, 80 + coalesce(sum((owned_segment.chunk_count * (57 + 16 * (owned.chunk_size / 16 + 1))::bigint - case
	    when owned_segment.first_index + owned_segment.chunk_count = owned.chunk_count then (57 + 16 * (owned.chunk_size / 16 + 1))::bigint - (owned.size - 80 - (owned.chunk_count - 1) * (57 + 16 * (owned.chunk_size / 16 + 1))::bigint)
	    else 0 end)), 0))
	      + coalesce(owned.thumbnail_bytes, 0) as bytes
	    from "revisions" as owned
	    left join "revision_segments" as owned_segment on owned_segment.revision_id = owned.id
	    where owned.owner_id = $1
	    group by owned.id
	  ) as stored) from "users" where "users"."id" = $2`;
export const UPLOADS_UNDER = `select distinct "node_id", "owner_id" from "revisions" where "revisions"."node_id" in ($1)`;
export const LAST_REVISIONS = `select "node_id", max("number") from "revisions" where ("revisions"."node_id" in ($1) and "revisions"."owner_id" = $2) group by "revisions"."node_id"`;
export const FOLDER_CHAIN = `select ${JOINED_COLUMNS} from "nodes" left join "revisions" on "revisions"."id" = "nodes"."current_revision_id" inner join (
	      with recursive chain(id, parent_id, distance) as (
	        select id, parent_id, 0 from "nodes" where "nodes"."owner_id" = $1 and id in ($2)
	        union
	        select parent.id, parent.parent_id, chain.distance + 1
	          from "nodes" as parent join chain on parent.id = chain.parent_id
	          where "parent".owner_id = $3 and true
	      )
	      select id, max(distance) as distance from chain group by id
	    ) as chain on chain.id = "nodes"."id" order by chain.distance desc, "nodes"."id" asc`;
export const INSERT_REVISION = `insert into "revisions" ("id", "node_id", "owner_id", "number", "header", "chunk_size", "chunk_count", "size", "thumbnail_bytes", "author_id", "created_at", "completed_at") values ($1, $2, $3, $4, $5, $6, $7, $8, default, $9, default, default) on conflict do nothing returning "id"`;
export const INSERT_UPLOAD = `insert into "uploads" ("id", "user_id", "revision_id", "node_id", "new_node", "parent_id", "wrapped_key", "encrypted_metadata", "author_signature", "created_at", "expires_at", "completed_at") values ($1, $2, $3, $4, $5, $6, $7, $8, $9, default, $10, default)`;

/** Upload, second transaction, after the chunk is on disk: the node made and the revision published. */
export const LOCK_UPLOADS = `select "id", "completed_at", "wrapped_key" from "uploads" where "uploads"."id" in ($1) for update`;
export const INSERT_NODE = `insert into "nodes" ("id", "owner_id", "parent_id", "kind", "wrapped_key", "encrypted_metadata", "current_revision_id", "author_id", "request_link_id", "author_signature", "created_at", "updated_at", "trashed_at") values ($1, $2, $3, $4, $5, $6, $7, $8, default, $9, default, default, default) on conflict do nothing returning "id"`;
export const COMPLETE_REVISIONS = `update "revisions" set "completed_at" = $1 where "revisions"."id" in ($2)`;
export const COMPLETE_UPLOADS = `update "uploads" set "completed_at" = $1 where "uploads"."id" in ($2)`;
export const INSERT_SEGMENT = `insert into "revision_segments" ("revision_id", "first_index", "chunk_count") values ($1, $2, $3)`;

/** Download: the completed revision, then (NODE) its node, then its segments. */
export const COMPLETED_REVISION = `select "id", "node_id", "owner_id", "number", "header", "chunk_size", "chunk_count", "size", "thumbnail_bytes", "author_id", "created_at", "completed_at" from "revisions" where ("revisions"."id" = $1 and "revisions"."completed_at" is not null)`;
export const SEGMENTS = `select "first_index", "chunk_count" from "revision_segments" where "revision_segments"."revision_id" = $1`;
