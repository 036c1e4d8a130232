/**
 * What someone holding a file-request link does, with no account (docs/FORMAT.md section 4.5): read the owner's public
 * keys and signed terms, then upload files, each as any new file's stream (section 3) under a fresh key sealed to the
 * owner. Each upload takes its file and its bytes from the link's limits when it begins, and reserves its bytes in the
 * owner's quota as the owner's own uploads do; once complete it waits for the owner (pending-uploads.ts), outside the
 * folder.
 */
import { eq, sql } from 'drizzle-orm';
import type { OpenRequestLinkResponse, RequestUploadRecord } from '../../shared/api/responses.ts';
import type { CreateRequestUploadRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import {
  accountActor,
  accountRows,
  authorizeRequestUpload,
  ownTree,
  usableFolder,
  type RequestLinkActor,
} from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import type { Queryable } from '../db/database.ts';
import { nodes, publicKeys, requestLinks, requestUploads, revisionSegments, revisions, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';
import { formatBytes, lockQuota, usedBytes } from '../storage/usage.ts';
import { deleteUnusedSegments, makeSegmentsDurable } from '../uploads/complete-upload.ts';
import type { OpenStream } from '../uploads/store-chunks.ts';
import { readHeaderForFile, streamLayout } from '../uploads/stream-layout.ts';
import { uploadExpiry } from '../uploads/upload-expiry.ts';

/** The owner's public keys as published, the owner's signed terms, and what is left of the link. */
export async function openRequestLink(db: Queryable, actor: RequestLinkActor): Promise<OpenRequestLinkResponse> {
  const { link } = actor;
  const keys = await db
    .select()
    .from(publicKeys)
    .where(accountRows.publicKeys(accountActor({ id: link.ownerId })));
  const published = (purpose: 'sharing' | 'signing') => {
    const key = keys.find((row) => row.purpose === purpose);
    if (!key) throw new ApiError(409, 'NO_PUBLIC_KEYS', `the owner of request link ${link.id} has no ${purpose} key`);
    return encodeBase64url(key.publicKey);
  };
  return {
    requestLinkId: link.id,
    ownerId: link.ownerId,
    folderId: link.nodeId,
    ownerPublicKeys: { sharing: published('sharing'), signing: published('signing') },
    message: link.message,
    messageSignature: link.messageSignature,
    expiresAt: link.expiresAt?.toISOString() ?? null,
    filesLeft: link.maxFiles - link.fileCount,
    bytesLeft: link.maxBytes - link.byteCount,
  };
}

/**
 * Begins an upload: the header must name the new file and its first revision; the link must have a file and the
 * bytes left (413 REQUEST_LINK_FULL otherwise) and the owner room in their quota (413 QUOTA_EXCEEDED).
 */
export async function beginRequestUpload(
  deps: ServerDeps,
  actor: RequestLinkActor,
  request: CreateRequestUploadRequest,
): Promise<RequestUploadRecord> {
  const { db, now } = deps;
  const nodeId = request.nodeId.toLowerCase();
  const { header, fields } = readHeaderForFile(request.header, nodeId);
  if (fields.revision !== 1) {
    throw new ApiError(409, 'REVISION_CONFLICT', `the header names revision ${fields.revision}; a new file's is 1`);
  }
  const layout = streamLayout(fields.chunkSize, request.size, request.chunkCount);
  const ownerId = actor.link.ownerId;
  return db.transaction(async (tx) => {
    // The owner's lock serialises everything that stores bytes in its tree, so that neither the quota nor the link's
    // limits can be overrun by uploads at the same time.
    const { used, quotaBytes } = await lockQuota(tx, ownerId);
    const [link] = await tx.select().from(requestLinks).where(eq(requestLinks.id, actor.link.id));
    if (!link) throw new ApiError(404, 'LINK_NOT_FOUND', `no request link ${actor.link.id}`);
    if (link.fileCount + 1 > link.maxFiles || link.byteCount + layout.size > link.maxBytes) {
      throw new ApiError(
        413,
        'REQUEST_LINK_FULL',
        `this file needs ${formatBytes(layout.size)}; request link ${link.id} has ${link.maxFiles - link.fileCount} of its ${link.maxFiles} files and ${formatBytes(Math.max(0, link.maxBytes - link.byteCount))} of its ${formatBytes(link.maxBytes)} left`,
      );
    }
    if (used + layout.size > quotaBytes) {
      throw new ApiError(
        413,
        'QUOTA_EXCEEDED',
        `this file needs ${formatBytes(layout.size)}, and the quota of the person who asked for files has ${formatBytes(Math.max(0, quotaBytes - used))} left`,
      );
    }
    await usableFolder(tx, ownTree(accountActor({ id: ownerId })), link.nodeId);
    if (await nodeIdInUse(tx, nodeId)) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}; make a new id`);
    const revisionId = crypto.randomUUID();
    await tx.insert(revisions).values({
      id: revisionId,
      nodeId,
      ownerId,
      number: 1,
      header,
      chunkSize: fields.chunkSize,
      chunkCount: layout.chunkCount,
      size: layout.size,
      authorId: null,
    });
    const id = crypto.randomUUID();
    await tx.insert(requestUploads).values({
      id,
      requestLinkId: link.id,
      ownerId,
      revisionId,
      nodeId,
      parentId: link.nodeId,
      seal: request.seal,
      encryptedMetadata: decodeBase64url(request.encryptedMetadata),
      expiresAt: uploadExpiry(deps),
    });
    await tx
      .update(requestLinks)
      .set({
        fileCount: sql`${requestLinks.fileCount} + 1`,
        byteCount: sql`${requestLinks.byteCount} + ${layout.size}`,
        lastUsedAt: now(),
      })
      .where(eq(requestLinks.id, link.id));
    return { id, nodeId, chunkCount: layout.chunkCount, completed: false };
  });
}

/** Whether a node, or any revision (another upload's new file), has this id already. */
async function nodeIdInUse(db: Queryable, nodeId: string): Promise<boolean> {
  const [node] = await db.select({ id: nodes.id }).from(nodes).where(eq(nodes.id, nodeId));
  const [revision] = await db.select({ id: revisions.id }).from(revisions).where(eq(revisions.nodeId, nodeId)).limit(1);
  return node !== undefined || revision !== undefined;
}

/** An upload of this link still taking chunks, as storeChunks takes it: with the owner's quota and use. */
export async function openRequestStream(
  deps: ServerDeps,
  actor: RequestLinkActor,
  uploadId: string,
): Promise<OpenStream> {
  const { db, now } = deps;
  const upload = await authorizeRequestUpload(db, actor, uploadId);
  if (upload.expiresAt <= now()) {
    throw new ApiError(409, 'UPLOAD_EXPIRED', 'this upload sat idle too long and was given up; start again');
  }
  const revision = await uploadRevision(db, upload.revisionId);
  const [owner] = await db.select({ quotaBytes: users.quotaBytes }).from(users).where(eq(users.id, upload.ownerId));
  return {
    revision,
    expiresAt: upload.expiresAt,
    used: await usedBytes(db, upload.ownerId),
    quotaBytes: owner?.quotaBytes ?? 0,
    keepAlive: (expiresAt) => db.update(requestUploads).set({ expiresAt }).where(eq(requestUploads.id, upload.id)),
  };
}

/**
 * Completes an upload: its segments made durable, it waits for the owner, and the owner's security log records it.
 * Completing it again answers the same.
 */
export async function completeRequestUpload(
  deps: ServerDeps,
  actor: RequestLinkActor,
  uploadId: string,
  origin: RequestOrigin,
): Promise<RequestUploadRecord> {
  const { db, now } = deps;
  const upload = await authorizeRequestUpload(db, actor, uploadId);
  const revision = await uploadRevision(db, upload.revisionId);
  const chosen = await makeSegmentsDurable(deps, { revision });
  const completed = await db.transaction(async (tx) => {
    const [locked] = await tx.select().from(requestUploads).where(eq(requestUploads.id, upload.id)).for('update');
    if (!locked) throw new ApiError(409, 'UPLOAD_ABORTED', 'this upload was given up while completing');
    if (locked.completedAt) return false;
    await tx.update(requestUploads).set({ completedAt: now() }).where(eq(requestUploads.id, upload.id));
    await tx.delete(revisionSegments).where(eq(revisionSegments.revisionId, revision.id));
    await tx.insert(revisionSegments).values(chosen.map((segment) => ({ revisionId: revision.id, ...segment })));
    await audit(tx, {
      type: 'request-link-upload',
      userId: upload.ownerId,
      origin,
      at: now(),
      details: { requestLinkId: upload.requestLinkId, uploadId: upload.id, size: revision.size },
    });
    return true;
  });
  if (completed) await deleteUnusedSegments(deps, revision.id, chosen);
  return { id: upload.id, nodeId: upload.nodeId, chunkCount: revision.chunkCount, completed: true };
}

async function uploadRevision(db: Queryable, revisionId: string): Promise<RevisionRow> {
  const [revision] = await db.select().from(revisions).where(eq(revisions.id, revisionId));
  if (!revision) throw new ApiError(409, 'UPLOAD_ABORTED', 'this upload was given up');
  return revision;
}
