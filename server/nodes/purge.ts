/**
 * Purging: deleting trashed nodes for good, with everything inside them and every revision, upload and blob of
 * theirs. The rows go first, in one transaction, and the blobs after it commits: a crash in between leaves blobs no
 * row points at (unreadable, only wasted space), never a row that points at a missing blob.
 */
import { and, eq, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import { deletePrefix, type BlobStore } from '../blobs/blob-store.ts';
import type { Queryable } from '../db/database.ts';
import { links, nodes, requestLinks, requestUploads, revisions, shares, uploads } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { revisionPrefix } from '../uploads/segments.ts';
import { nodesIn, revisionsIn, type Scope } from '../access/policy.ts';
import { lockTree, subtreeIds } from './tree-queries.ts';

/**
 * Purges the scope's trashed nodes that `roots` selects (a condition on `nodes`; nodes not in the trash are never
 * purged; without it, all of them) and everything inside them. Returns how many nodes were deleted.
 */
export async function purgeTrash(deps: Pick<ServerDeps, 'db' | 'blobs'>, scope: Scope, roots?: SQL): Promise<number> {
  const { purged, revisionIds } = await deps.db.transaction(async (tx) => {
    await lockTree(tx, scope);
    return deleteRows(tx, scope, subtreeIds(scope, and(isNotNull(nodes.trashedAt), roots)!));
  });
  await deleteRevisionBlobs(deps.blobs, revisionIds);
  return purged;
}

/**
 * Deletes the rows of the nodes `doomed` selects. Nodes go last: the subquery is evaluated again by each statement,
 * and must still find them.
 */
async function deleteRows(tx: Queryable, scope: Scope, doomed: SQL) {
  const deletedRevisions = await tx
    .delete(revisions)
    .where(
      and(
        revisionsIn(scope),
        or(
          sql`${revisions.nodeId} in (${doomed})`,
          // New files still uploading into a doomed folder: their nodes do not exist yet, only their uploads do.
          sql`${revisions.id} in (select ${uploads.revisionId} from ${uploads}
            where ${uploads.newNode} and ${uploads.parentId} in (${doomed}))`,
          // Files that came through a request link into a doomed folder, still uploading or waiting for the owner.
          sql`${revisions.id} in (select ${requestUploads.revisionId} from ${requestUploads}
            where ${requestUploads.parentId} in (${doomed}))`,
        ),
      ),
    )
    // Their segments and uploads go with them (foreign keys, on delete cascade).
    .returning({ id: revisions.id });
  // Shares and links of a deleted node would hold its key for nothing.
  await tx.delete(shares).where(and(eq(shares.ownerId, scope.ownerId), sql`${shares.nodeId} in (${doomed})`));
  await tx.delete(links).where(and(eq(links.ownerId, scope.ownerId), sql`${links.nodeId} in (${doomed})`));
  await tx
    .delete(requestLinks)
    .where(and(eq(requestLinks.ownerId, scope.ownerId), sql`${requestLinks.nodeId} in (${doomed})`));
  const deletedNodes = await tx
    .delete(nodes)
    .where(and(nodesIn(scope), sql`${nodes.id} in (${doomed})`))
    .returning({ id: nodes.id });
  return { purged: deletedNodes.length, revisionIds: deletedRevisions.map((row) => row.id) };
}

/**
 * Deletes each revision's blobs by prefix, as discardUpload does, so that segments without a row (sent twice, or
 * stored just before a crash) go too. The purge (or an account's deletion) has already committed, so a failure is logged and the rest carry on:
 * what it leaves is never read again.
 */
export async function deleteRevisionBlobs(blobs: BlobStore, revisionIds: string[]): Promise<void> {
  for (const revisionId of revisionIds) {
    try {
      await deletePrefix(blobs, revisionPrefix(revisionId));
    } catch (error) {
      console.error(`coffer: the blobs of purged revision ${revisionId} could not all be deleted:`, error);
    }
  }
}
