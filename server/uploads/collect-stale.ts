/**
 * Collection of what has outlived its use, one function per job. Each runs at start (after a crash) and periodically.
 * - collectStaleUploads gives up uploads that have sat idle past their expiry: their chunks are deleted and their
 *   reserved quota freed. Completed uploads are only bookkeeping, and are forgotten too. Uploads through request links
 *   that sat idle go the same way; completed ones wait for their owner and are kept.
 * - collectExpiredTrash purges nodes trashed more than TRASH_RETENTION_DAYS ago.
 * - collectExpiredAuditEvents deletes audit events older than AUDIT_RETENTION_DAYS, client addresses with them.
 * - collectSpentLimits deletes rate limit and lockout counters that no longer limit anything, so that a row per
 *   client address ever seen does not stay for good.
 */
import { and, isNotNull, isNull, lt, lte, or } from 'drizzle-orm';
import {
  auditEvents,
  authLockouts,
  authRateLimits,
  nodes,
  requestRateLimits,
  requestUploads,
  uploads,
} from '../db/schema.ts';
import { accountActor, ownTree } from '../access/policy.ts';
import { purgeTrash } from '../nodes/purge.ts';
import type { ServerDeps } from '../deps.ts';
import { discardUpload } from './discard-upload.ts';

/**
 * How long a trashed node can still be restored. After that it is purged with everything inside it, and its storage
 * no longer counts against the quota.
 */
export const TRASH_RETENTION_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

export async function collectStaleUploads(deps: Pick<ServerDeps, 'db' | 'blobs' | 'now'>): Promise<number> {
  const now = deps.now();
  const stale = await deps.db
    .select({ revisionId: uploads.revisionId })
    .from(uploads)
    .where(and(isNull(uploads.completedAt), lt(uploads.expiresAt, now)));
  const staleRequests = await deps.db
    .select({ revisionId: requestUploads.revisionId })
    .from(requestUploads)
    .where(and(isNull(requestUploads.completedAt), lt(requestUploads.expiresAt, now)));
  for (const { revisionId } of [...stale, ...staleRequests]) await discardUpload(deps, revisionId);
  await deps.db.delete(uploads).where(and(isNotNull(uploads.completedAt), lt(uploads.expiresAt, now)));
  return stale.length + staleRequests.length;
}

/** Purges, user by user, the nodes trashed before the retention period began. Returns how many nodes were deleted. */
export async function collectExpiredTrash(deps: Pick<ServerDeps, 'db' | 'blobs' | 'now'>): Promise<number> {
  const expired = lt(nodes.trashedAt, new Date(deps.now().getTime() - TRASH_RETENTION_DAYS * DAY_MS));
  const owners = await deps.db.selectDistinct({ ownerId: nodes.ownerId }).from(nodes).where(expired);
  let purged = 0;
  for (const { ownerId } of owners) purged += await purgeTrash(deps, ownTree(accountActor({ id: ownerId })), expired);
  return purged;
}

/** Deletes the audit events recorded before the retention period began. Returns how many were deleted. */
export async function collectExpiredAuditEvents(
  deps: Pick<ServerDeps, 'db' | 'now'>,
  retentionDays: number,
): Promise<number> {
  const before = new Date(deps.now().getTime() - retentionDays * DAY_MS);
  const deleted = await deps.db
    .delete(auditEvents)
    .where(lt(auditEvents.createdAt, before))
    .returning({ id: auditEvents.id });
  return deleted.length;
}

/**
 * Deletes request buckets that are full again, auth windows that have ended, and failures that are forgotten and lock
 * nothing: a missing row means the same. Returns how many rows were deleted.
 */
export async function collectSpentLimits(
  deps: Pick<ServerDeps, 'db' | 'now' | 'authLimits' | 'lockout'>,
): Promise<number> {
  const now = deps.now();
  const longestWindowMs = Math.max(...Object.values(deps.authLimits).map((limit) => limit.windowMs));
  const deleted = await Promise.all([
    deps.db
      .delete(requestRateLimits)
      .where(lte(requestRateLimits.fullAt, now))
      .returning({ bucket: requestRateLimits.bucket }),
    deps.db
      .delete(authRateLimits)
      .where(lte(authRateLimits.windowStart, new Date(now.getTime() - longestWindowMs)))
      .returning({ bucket: authRateLimits.bucket }),
    deps.db
      .delete(authLockouts)
      .where(
        and(
          lte(authLockouts.lastFailureAt, new Date(now.getTime() - deps.lockout.forgetMs)),
          or(isNull(authLockouts.lockedUntil), lte(authLockouts.lockedUntil, now)),
        ),
      )
      .returning({ bucket: authLockouts.bucket }),
  ]);
  return deleted.reduce((total, rows) => total + rows.length, 0);
}
