/**
 * Completing an upload: its segments are made durable, then one transaction makes the revision visible (a new file,
 * or the file's current revision), so that a crash at any point leaves either the old state or the new one.
 */
import { and, eq } from 'drizzle-orm';
import type { UploadRecord } from '../../shared/api/responses.ts';
import type { CompleteUploadRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeNode, nodesIn, requireInForce, usableFolder, type Actor } from '../access/policy.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, revisionSegments, revisions, uploads } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { nodeIdTakenError } from '../nodes/taken-ids.ts';
import { loadSegments } from './segment-rows.ts';
import { coverSegments, revisionPrefix, type Segment, segmentBytes, segmentKey } from './segments.ts';
import { streamLayout } from './stream-layout.ts';
import { uploadJson } from './upload-json.ts';
import { loadUpload, type UploadRow } from './upload-rows.ts';

export async function completeUpload(
  deps: ServerDeps,
  actor: Actor,
  uploadId: string,
  request: CompleteUploadRequest,
): Promise<UploadRecord> {
  const { db, now } = deps;
  const upload = await loadUpload(db, actor, uploadId);
  if (upload.completedAt) return uploadJson(db, upload);
  // Asked again at completion: a share revoked during the upload publishes nothing.
  const { scope } = upload.newNode
    ? await authorizeNode(db, actor, upload.parentId!, 'read')
    : await authorizeNode(db, actor, upload.nodeId, 'write');
  const chosen = await makeSegmentsDurable(deps, upload);
  const published = await db
    .transaction(async (tx) => {
      // Locking the upload makes a second, concurrent completion wait, then find it complete.
      const [locked] = await tx.select().from(uploads).where(eq(uploads.id, upload.id)).for('update');
      if (!locked) throw new ApiError(409, 'UPLOAD_ABORTED', 'this upload was aborted while completing');
      if (locked.completedAt) return false;
      await requireInForce(tx, scope);
      const completedAt = now();
      const metadata = request.encryptedMetadata ? decodeBase64url(request.encryptedMetadata) : undefined;
      if (upload.newNode) {
        await usableFolder(tx, scope, upload.parentId!);
        await tx.insert(nodes).values({
          id: upload.nodeId,
          ownerId: scope.ownerId,
          parentId: upload.parentId,
          kind: 'file',
          authorId: upload.userId,
          // As the locked row holds it: a key rotation since the upload began wrapped it under the folder's new key.
          wrappedKey: locked.wrappedKey!,
          encryptedMetadata: metadata ?? upload.encryptedMetadata!,
          // The signature goes with the metadata it signed: this request's, or the one the upload began with.
          authorSignature: metadata ? (request.authorSignature ?? null) : upload.authorSignature,
          currentRevisionId: upload.revisionId,
        });
      } else {
        const updated = await tx
          .update(nodes)
          .set({
            currentRevisionId: upload.revisionId,
            updatedAt: completedAt,
            // Whoever uploads the revision writes the metadata that describes it, signed or not.
            ...(metadata
              ? {
                  encryptedMetadata: metadata,
                  authorId: upload.userId,
                  authorSignature: request.authorSignature ?? null,
                }
              : {}),
          })
          .where(and(eq(nodes.id, upload.nodeId), nodesIn(scope)))
          .returning({ id: nodes.id });
        if (updated.length === 0)
          throw new ApiError(409, 'NODE_GONE', `file ${upload.nodeId} was deleted during the upload`);
      }
      await tx.update(revisions).set({ completedAt }).where(eq(revisions.id, upload.revisionId));
      await tx.update(uploads).set({ completedAt }).where(eq(uploads.id, upload.id));
      // The published revision keeps only the segments it reads from.
      await tx.delete(revisionSegments).where(eq(revisionSegments.revisionId, upload.revisionId));
      await tx
        .insert(revisionSegments)
        .values(chosen.map((segment) => ({ revisionId: upload.revisionId, ...segment })));
      return true;
    })
    .catch(async (error: unknown) => {
      // A node made with this id since the upload began (a folder, or another user's file) took the id first.
      if (upload.newNode && isUniqueViolation(error)) throw await nodeIdTakenError(db, scope, upload.nodeId);
      throw error;
    });
  if (published) await deleteUnusedSegments(deps, upload.revisionId, chosen);
  return uploadJson(db, await loadUpload(db, actor, uploadId));
}

/**
 * Before a revision is published, the segments it will read from must be on disk for good: they are synced together,
 * and checked to be there at their full size. A segment lost to a power cut is forgotten, so that its chunks are
 * asked for again (the completion fails with UPLOAD_INCOMPLETE) instead of published missing.
 */
export async function makeSegmentsDurable(
  { db, blobs }: ServerDeps,
  upload: Pick<UploadRow, 'revision'>,
): Promise<Segment[]> {
  const { revision } = upload;
  const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
  const cover = coverSegments(await loadSegments(db, revision.id), revision.chunkCount);
  if (cover.missing > 0) throw incompleteError(cover.missing, revision.chunkCount);
  const lostKeys = new Set(
    await blobs.makeDurable(
      cover.chosen.map((segment) => ({ key: segmentKey(revision.id, segment), size: segmentBytes(layout, segment) })),
    ),
  );
  const lost = cover.chosen.filter((segment) => lostKeys.has(segmentKey(revision.id, segment)));
  if (lost.length === 0) return cover.chosen;
  for (const segment of lost) {
    await db
      .delete(revisionSegments)
      .where(
        and(
          eq(revisionSegments.revisionId, revision.id),
          eq(revisionSegments.firstIndex, segment.firstIndex),
          eq(revisionSegments.chunkCount, segment.chunkCount),
        ),
      );
  }
  const { missing } = coverSegments(await loadSegments(db, revision.id), revision.chunkCount);
  throw incompleteError(Math.max(missing, 1), revision.chunkCount);
}

function incompleteError(missing: number, chunkCount: number): ApiError {
  return new ApiError(409, 'UPLOAD_INCOMPLETE', `${missing} of ${chunkCount} chunks have not arrived`);
}

/**
 * Removes the blobs of segments the published revision does not read from: runs sent twice, and any blob a crash
 * left without a row. Best effort: what a failure here leaves is never read, only wasted space.
 */
export async function deleteUnusedSegments(
  { blobs }: ServerDeps,
  revisionId: string,
  chosen: Segment[],
): Promise<void> {
  const keep = new Set(chosen.map((segment) => segmentKey(revisionId, segment)));
  const unused: string[] = [];
  for await (const key of blobs.list(revisionPrefix(revisionId))) if (!keep.has(key)) unused.push(key);
  for (const key of unused) await blobs.delete(key);
}
