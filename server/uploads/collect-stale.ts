/**
 * Gives up uploads that have sat idle past their expiry: their chunks are deleted and their reserved quota freed.
 * Runs at start (after a crash) and periodically. Completed uploads are only bookkeeping, and are forgotten too.
 */
import { and, isNotNull, isNull, lt } from 'drizzle-orm';
import { uploads } from '../db/schema.ts';
import type { RouteDeps } from '../routes/deps.ts';
import { discardUpload } from '../routes/uploads.ts';

export async function collectStaleUploads(deps: Pick<RouteDeps, 'db' | 'blobs' | 'now'>): Promise<number> {
  const now = deps.now();
  const stale = await deps.db
    .select({ revisionId: uploads.revisionId })
    .from(uploads)
    .where(and(isNull(uploads.completedAt), lt(uploads.expiresAt, now)));
  for (const { revisionId } of stale) await discardUpload(deps, revisionId);
  await deps.db.delete(uploads).where(and(isNotNull(uploads.completedAt), lt(uploads.expiresAt, now)));
  return stale.length;
}
