/**
 * Starting an upload: the client declares the stream's header, size and chunk count; the server checks the header
 * names this file and its next revision, reserves the quota, and records a revision that stays invisible until the
 * upload completes.
 */
import { and, eq, max } from 'drizzle-orm';
import type { UploadRecord } from '../../shared/api/responses.ts';
import type { CreateUploadRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeNode, inScope, requireInForce, revisionsIn, usableFolder, type Actor } from '../access/policy.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, revisions, uploads } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import type { AuthUser } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { nodeIdTaken, usedByOthersUpload } from '../nodes/taken-ids.ts';
import { lockQuota, quotaExceeded, quotaHolder } from '../storage/usage.ts';
import { readHeaderForFile, streamLayout } from './stream-layout.ts';
import { uploadExpiry } from './upload-expiry.ts';
import { uploadJson } from './upload-json.ts';
import { loadUpload } from './upload-rows.ts';

export async function createUpload(
  deps: ServerDeps,
  actor: Actor,
  user: AuthUser,
  request: CreateUploadRequest,
): Promise<UploadRecord> {
  const { db } = deps;
  const { header, fields } = readHeaderForFile(request.header, request.nodeId);
  const layout = streamLayout(fields.chunkSize, request.size, request.chunkCount);
  const nodeId = request.nodeId.toLowerCase();
  // The tree the file goes into: the actor's own, or another's through an editor's share. Its owner's quota pays.
  const target = request.newFile ? request.newFile.parentId.toLowerCase() : nodeId;
  const { scope } = await authorizeNode(db, actor, target, request.newFile ? 'read' : 'write');
  try {
    const created = await db.transaction(async (tx) => {
      // Locking the owner serialises uploads into its tree, so the quota check below cannot race another upload.
      const { used, quotaBytes } = await lockQuota(tx, scope.ownerId);
      await requireInForce(tx, scope);
      const existing = await tx.select().from(nodes).where(eq(nodes.id, nodeId));
      if (request.newFile) {
        const [taken] = existing;
        if (taken) throw nodeIdTaken(nodeId, inScope(scope, taken));
        if (await usedByOthersUpload(tx, scope.ownerId, nodeId)) throw nodeIdTaken(nodeId, false);
        await usableFolder(tx, scope, request.newFile.parentId.toLowerCase());
      } else {
        const { node } = await authorizeNode(tx, actor, nodeId, 'write');
        if (node.kind !== 'file') throw new ApiError(409, 'NOT_A_FILE', `node ${nodeId} is a folder`);
      }
      const [last] = await tx
        .select({ number: max(revisions.number) })
        .from(revisions)
        .where(and(eq(revisions.nodeId, nodeId), revisionsIn(scope)));
      const nextRevision = (last?.number ?? 0) + 1;
      if (fields.revision !== nextRevision) {
        throw new ApiError(
          409,
          'REVISION_CONFLICT',
          `the header names revision ${fields.revision}; the next revision of this file is ${nextRevision}`,
        );
      }
      if (used + request.size > quotaBytes)
        throw quotaExceeded(request.size, used, quotaBytes, 'this upload', quotaHolder(scope));
      const revisionId = crypto.randomUUID();
      await tx.insert(revisions).values({
        id: revisionId,
        nodeId,
        ownerId: scope.ownerId,
        number: nextRevision,
        header,
        chunkSize: fields.chunkSize,
        chunkCount: layout.chunkCount,
        size: layout.size,
        authorId: user.id,
      });
      const uploadId = crypto.randomUUID();
      await tx.insert(uploads).values({
        id: uploadId,
        userId: user.id,
        revisionId,
        nodeId,
        newNode: request.newFile !== undefined,
        parentId: request.newFile?.parentId.toLowerCase() ?? null,
        wrappedKey: request.newFile?.wrappedKey ?? null,
        encryptedMetadata: request.newFile ? decodeBase64url(request.newFile.encryptedMetadata) : null,
        authorSignature: request.newFile?.authorSignature ?? null,
        expiresAt: uploadExpiry(deps),
      });
      return uploadId;
    });
    return await uploadJson(db, await loadUpload(db, actor, created));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Uploads into this tree are serialised, so the other upload of this id may be another tree's new file.
    if (request.newFile && (await usedByOthersUpload(db, scope.ownerId, nodeId))) throw nodeIdTaken(nodeId, false);
    throw new ApiError(409, 'REVISION_CONFLICT', `another upload of file ${nodeId} started at the same time`);
  }
}
