/**
 * Storage used by a user: every revision they own, complete or still uploading. Counting uploads in progress
 * reserves their declared size, so that parallel uploads cannot together exceed the quota.
 */
import { eq, sql, sum, type SQL } from 'drizzle-orm';
import type { Queryable } from '../db/database.ts';
import { revisions } from '../db/schema.ts';

export async function usedBytes(db: Queryable, userId: string): Promise<number> {
  const [row] = await db
    .select({ total: sum(revisions.size) })
    .from(revisions)
    .where(eq(revisions.ownerId, userId));
  return Number(row?.total ?? 0);
}

/** usedBytes as an expression, for a query that needs it beside other columns: one round trip instead of two. */
export function usedBytesColumn(userId: string): SQL<string> {
  // Aliased: the query around it may read revisions too.
  return sql<string>`(select coalesce(sum(owned.size), 0) from ${revisions} as owned where owned.owner_id = ${userId})`;
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
