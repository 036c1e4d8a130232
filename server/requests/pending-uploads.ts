/**
 * Files strangers uploaded through the owner's request links, waiting for the owner: listed with their sealed keys
 * and encrypted metadata so that the owner's client can open and show them, then accepted into their folder (the
 * client wraps the file key under the folder's key: from then on it is a file like any other, marked as from its
 * request link) or declined (revision and blobs deleted).
 */
import { and, asc, eq } from 'drizzle-orm';
import type { NodeRecord, PendingUploadsResponse } from '../../shared/api/responses.ts';
import type { AcceptRequestUploadRequest } from '../../shared/api/schemas.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { authorizePendingUpload, ownTree, requestLinkRows, usableFolder, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, requestUploads, revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode } from '../nodes/node-json.ts';
import { revisionJson } from '../revisions/revision-json.ts';
import { discardUpload } from '../uploads/discard-upload.ts';

/** The actor's waiting files, oldest first. */
export async function pendingUploads({ db }: ServerDeps, actor: Actor): Promise<PendingUploadsResponse> {
  const rows = await db
    .select()
    .from(requestUploads)
    .innerJoin(revisions, eq(revisions.id, requestUploads.revisionId))
    .where(requestLinkRows.pendingFor(actor))
    .orderBy(asc(requestUploads.completedAt), asc(requestUploads.id));
  return {
    uploads: rows.map(({ request_uploads: upload, revisions: revision }) => ({
      id: upload.id,
      requestLinkId: upload.requestLinkId,
      nodeId: upload.nodeId,
      parentId: upload.parentId,
      seal: upload.seal,
      encryptedMetadata: encodeBase64url(upload.encryptedMetadata),
      revision: revisionJson(revision),
      completedAt: upload.completedAt!.toISOString(),
    })),
  };
}

/** Makes the file a node of the folder, its key as the owner's client wrapped it; the folder must still take files. */
export async function acceptPendingUpload(
  { db, now }: ServerDeps,
  actor: Actor,
  uploadId: string,
  request: AcceptRequestUploadRequest,
  origin: RequestOrigin,
): Promise<NodeRecord> {
  const scope = ownTree(actor);
  const node = await db
    .transaction(async (tx) => {
      const [upload] = await tx
        .select()
        .from(requestUploads)
        .where(and(eq(requestUploads.id, uploadId), requestLinkRows.pendingFor(actor)))
        .for('update');
      if (!upload) throw new ApiError(404, 'NOT_FOUND', `no pending upload ${uploadId}`);
      await usableFolder(tx, scope, upload.parentId);
      const acceptedAt = now();
      const [inserted] = await tx
        .insert(nodes)
        .values({
          id: upload.nodeId,
          ownerId: scope.ownerId,
          parentId: upload.parentId,
          kind: 'file',
          wrappedKey: request.wrappedKey,
          encryptedMetadata: upload.encryptedMetadata,
          currentRevisionId: upload.revisionId,
          authorId: null,
          requestLinkId: upload.requestLinkId,
          createdAt: acceptedAt,
          updatedAt: acceptedAt,
        })
        .returning();
      await tx.update(revisions).set({ completedAt: acceptedAt }).where(eq(revisions.id, upload.revisionId));
      await tx.delete(requestUploads).where(eq(requestUploads.id, upload.id));
      await audit(tx, {
        type: 'request-upload-accepted',
        userId: actor.userId,
        origin,
        at: acceptedAt,
        details: { requestLinkId: upload.requestLinkId, nodeId: upload.nodeId },
      });
      return inserted!;
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) {
        throw new ApiError(409, 'NODE_EXISTS', `a node with this file's id already exists; decline it instead`);
      }
      throw error;
    });
  return describeNode(db, node);
}

/** Throws the file away: its blobs, its revision, and so its row. */
export async function declinePendingUpload(
  deps: ServerDeps,
  actor: Actor,
  uploadId: string,
  origin: RequestOrigin,
): Promise<void> {
  const upload = await authorizePendingUpload(deps.db, actor, uploadId);
  await discardUpload(deps, upload.revisionId);
  await audit(deps.db, {
    type: 'request-upload-declined',
    userId: actor.userId,
    origin,
    at: deps.now(),
    details: { requestLinkId: upload.requestLinkId, uploadId: upload.id },
  });
}
