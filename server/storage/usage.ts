/**
 * Storage used by a user: every byte stored for them, for every revision they own, complete or still uploading. A
 * revision counts the larger of its declared size (header and chunks: counting uploads in progress reserves it, so
 * that parallel uploads cannot together exceed the quota) and what its segment blobs hold, since segments sent again
 * split differently overlap; and its encrypted thumbnail.
 */
import { eq, sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { HEADER_BYTES } from '../../shared/crypto/index.ts';
import { TOKEN_OVERHEAD_BYTES } from '../../shared/crypto/fernet.ts';
import type { Queryable } from '../db/database.ts';
import { revisionSegments, revisions, users } from '../db/schema.ts';
import type { UsageResponse } from '../../shared/api/responses.ts';
import { ApiError } from '../http/errors.ts';

/** What the user has in use, and may use. */
export async function usage(db: Queryable, user: { id: string; quotaBytes: number }): Promise<UsageResponse> {
  return { usedBytes: await usedBytes(db, user.id), quotaBytes: user.quotaBytes };
}

export async function usedBytes(db: Queryable, userId: string): Promise<number> {
  const [row] = await db
    .select({ total: usedBytesColumn(userId) })
    .from(users)
    .where(eq(users.id, userId));
  return Number(row?.total ?? 0);
}

/**
 * usedBytes as an expression, for a query that needs it beside other columns: one round trip instead of two (`userId`
 * may be a column, for a listing of accounts). The
 * segment sizes follow server/uploads/stream-layout.ts: every chunk is a token of the full length but the last.
 */
export function usedBytesColumn(userId: string | SQLWrapper): SQL<string> {
  // Aliased: the query around it may read revisions too.
  const fullChunk = sql`(${sql.raw(String(TOKEN_OVERHEAD_BYTES))} + 16 * (owned.chunk_size / 16 + 1))::bigint`;
  const finalChunk = sql`(owned.size - ${sql.raw(String(HEADER_BYTES))} - (owned.chunk_count - 1) * ${fullChunk})`;
  const segmentBytes = sql`(owned_segment.chunk_count * ${fullChunk} - case
    when owned_segment.first_index + owned_segment.chunk_count = owned.chunk_count then ${fullChunk} - ${finalChunk}
    else 0 end)`;
  return sql<string>`(select coalesce(sum(stored.bytes), 0) from (
    select greatest(owned.size, ${sql.raw(String(HEADER_BYTES))} + coalesce(sum(${segmentBytes}), 0))
      + coalesce(owned.thumbnail_bytes, 0) as bytes
    from ${revisions} as owned
    left join ${revisionSegments} as owned_segment on owned_segment.revision_id = owned.id
    where owned.owner_id = ${userId}
    group by owned.id
  ) as stored)`;
}

/**
 * Locks the account row of a tree's owner, which serialises everything that stores bytes against its quota (its own
 * uploads and its editors'), and reads its quota and what it has in use.
 */
export async function lockQuota(tx: Queryable, ownerId: string): Promise<{ quotaBytes: number; used: number }> {
  const [owner] = await tx
    .select({ quotaBytes: users.quotaBytes })
    .from(users)
    .where(eq(users.id, ownerId))
    .for('update');
  return { quotaBytes: owner?.quotaBytes ?? 0, used: await usedBytes(tx, ownerId) };
}

/**
 * The answer to anything that would store more than the quota allows: 413, naming the limit, and whose it is (a
 * share's editor stores against the quota of the folder's owner).
 */
export function quotaExceeded(
  needed: number,
  used: number,
  quotaBytes: number,
  what = 'this upload',
  whose: 'your' | "the shared folder's owner's" = 'your',
): ApiError {
  return new ApiError(
    413,
    'QUOTA_EXCEEDED',
    `${what} needs ${formatBytes(needed)}, and ${formatBytes(used)} of ${whose} ${formatBytes(quotaBytes)} quota is in use`,
  );
}

/** Whose quota a scope's writes count against, as quotaExceeded says it. */
export function quotaHolder(scope: { share?: unknown }): 'your' | "the shared folder's owner's" {
  return scope.share ? "the shared folder's owner's" : 'your';
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
