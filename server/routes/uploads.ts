/**
 * The upload protocol: create an upload (declaring the stream's header, size and chunk count), put chunks by index
 * (idempotent, any order, in parallel), see what has arrived (to resume), complete (one transaction makes the revision
 * visible) or abort. Each request's chunks are written as one blob, a segment (server/uploads/segments.ts), straight
 * to its final key; only the completing transaction publishes them, so a crash at any point leaves either the old
 * state or the new one.
 */
import { and, eq, isNull, max, type SQL } from 'drizzle-orm';
import { Hono } from 'hono';
import { completeUploadSchema, createUploadSchema } from '../../shared/api/schemas.ts';
import {
  bytesToUuid,
  CofferCryptoError,
  decodeBase64url,
  encodeBase64url,
  HEADER_BYTES,
  readHeaderFields,
} from '../../shared/crypto/index.ts';
import { BlobSizeError, deletePrefix } from '../blobs/blob-store.ts';
import type { Database } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes, revisionSegments, revisions, uploads, users } from '../db/schema.ts';
import {
  accountActor,
  authorizeNode,
  inScope,
  nodesIn,
  ownTree,
  revisionsIn,
  uploadsOf,
  usableFolder,
} from '../access/policy.ts';
import { nodeIdTaken, nodeIdTakenError, usedByOthersUpload } from '../nodes/taken-ids.ts';
import { loadSegments } from '../uploads/segment-rows.ts';
import type { AuthEnv, AuthUser } from '../http/auth.ts';
import { ApiError } from '../http/errors.ts';
import { jsonBodyLimit } from '../http/limits.ts';
import { requestBody } from '../http/request-body.ts';
import { idParam, integerParam, readJson } from '../http/validate.ts';
import { formatBytes, quotaExceeded, usedBytes, usedBytesColumn } from '../storage/usage.ts';
import {
  bytesBeyondReservation,
  coverSegments,
  receivedIndexes,
  revisionPrefix,
  type Segment,
  segmentBytes,
  segmentKey,
} from '../uploads/segments.ts';
import { streamLayout } from '../uploads/stream-layout.ts';
import type { ServerDeps } from '../deps.ts';

type UploadRow = typeof uploads.$inferSelect & { revision: typeof revisions.$inferSelect };

export function uploadRoutes(deps: ServerDeps) {
  const { db, blobs, now } = deps;
  const expiry = () => new Date(now().getTime() + deps.limits.uploadIdleMs);

  return new Hono<AuthEnv>()
    .get('/', async (c) => {
      const user = c.get('user');
      const open = await uploadRows(db, and(uploadsOf(accountActor(user)), isNull(uploads.completedAt)));
      return c.json({ uploads: await Promise.all(open.map((upload) => describe(db, upload))) });
    })
    .post('/', jsonBodyLimit(), async (c) => {
      const user = c.get('user');
      const actor = accountActor(user);
      const scope = ownTree(actor);
      const request = await readJson(c, createUploadSchema);
      const header = decodeBase64url(request.header);
      const fields = readHeader(header);
      if (bytesToUuid(fields.fileId) !== request.nodeId.toLowerCase()) {
        throw new ApiError(
          400,
          'HEADER_MISMATCH',
          `the header names file ${bytesToUuid(fields.fileId)}, the upload is for ${request.nodeId}`,
        );
      }
      const layout = streamLayout(fields.chunkSize, request.size, request.chunkCount);
      const nodeId = request.nodeId.toLowerCase();
      try {
        const created = await db.transaction(async (tx) => {
          // Locking the user serialises this user's uploads, so the quota check below cannot race another upload.
          await tx.select({ id: users.id }).from(users).where(eq(users.id, user.id)).for('update');
          const existing = await tx.select().from(nodes).where(eq(nodes.id, nodeId));
          if (request.newFile) {
            const [taken] = existing;
            if (taken) throw nodeIdTaken(nodeId, inScope(scope, taken));
            if (await usedByOthersUpload(tx, user.id, nodeId)) throw nodeIdTaken(nodeId, false);
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
          const used = await usedBytes(tx, user.id);
          if (used + request.size > user.quotaBytes) throw quotaExceeded(request.size, used, user.quotaBytes);
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
            expiresAt: expiry(),
          });
          return uploadId;
        });
        return c.json(await describe(db, await loadUpload(db, user, created)), 201);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // This user's uploads are serialised, so the other upload of this id may be another user's new file.
        if (request.newFile && (await usedByOthersUpload(db, user.id, nodeId))) throw nodeIdTaken(nodeId, false);
        throw new ApiError(409, 'REVISION_CONFLICT', `another upload of file ${nodeId} started at the same time`);
      }
    })
    .get('/:uploadId', async (c) =>
      c.json(await describe(db, await loadUpload(db, c.get('user'), idParam(c, 'uploadId')))),
    )
    .put('/:uploadId/chunks/:index', async (c) => {
      const user = c.get('user');
      const { upload, used } = await loadOpenUpload(db, user, idParam(c, 'uploadId'), now());
      const { revision } = upload;
      const first = integerParam(c, 'index', revision.chunkCount - 1);
      // Several consecutive chunks may travel in one request body, which saves a request's work per chunk.
      const count = countQuery(c.req.query('count'), revision.chunkCount - first);
      const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
      const expected = segmentBytes(layout, { firstIndex: first, chunkCount: count });
      const declared = c.req.header('content-length');
      if (declared !== undefined && Number(declared) !== expected) {
        throw chunkSizeError(first, count, expected, Number(declared));
      }
      // The quota was reserved when the upload was created; it is checked again in case it was lowered since, and for
      // a segment that overlaps others, which stores more than the reservation.
      const segment = { firstIndex: first, chunkCount: count };
      const beyond = bytesBeyondReservation(layout, await loadSegments(db, revision.id), segment);
      if (used + beyond > user.quotaBytes) {
        throw new ApiError(
          413,
          'QUOTA_EXCEEDED',
          `${formatBytes(used + beyond)} would be reserved or stored, over your ${formatBytes(user.quotaBytes)} quota`,
        );
      }
      // Made durable when the upload completes; until then a lost segment is simply sent again.
      try {
        await blobs.put(segmentKey(revision.id, segment), requestBody(c) ?? new Uint8Array(0), expected, {
          durable: false,
        });
      } catch (error) {
        if (error instanceof BlobSizeError) throw chunkSizeError(first, count, expected, error.received);
        throw error;
      }
      await db
        .insert(revisionSegments)
        .values({ revisionId: revision.id, ...segment })
        .onConflictDoNothing();
      // Activity keeps the upload alive; refreshing the expiry once half the idle window has passed is enough.
      if (upload.expiresAt.getTime() - now().getTime() < deps.limits.uploadIdleMs / 2) {
        await db.update(uploads).set({ expiresAt: expiry() }).where(eq(uploads.id, upload.id));
      }
      return c.body(null, 204);
    })
    .post('/:uploadId/complete', jsonBodyLimit(), async (c) => {
      const user = c.get('user');
      const scope = ownTree(accountActor(user));
      const uploadId = idParam(c, 'uploadId');
      const request = await readJson(c, completeUploadSchema, { emptyAs: {} });
      const upload = await loadUpload(db, user, uploadId);
      if (upload.completedAt) return c.json(await describe(db, upload));
      const chosen = await makeSegmentsDurable(deps, upload);
      const published = await db
        .transaction(async (tx) => {
          // Locking the upload makes a second, concurrent completion wait, then find it complete.
          const [locked] = await tx.select().from(uploads).where(eq(uploads.id, upload.id)).for('update');
          if (!locked) throw new ApiError(409, 'UPLOAD_ABORTED', 'this upload was aborted while completing');
          if (locked.completedAt) return false;
          const completedAt = now();
          const metadata = request.encryptedMetadata ? decodeBase64url(request.encryptedMetadata) : undefined;
          if (upload.newNode) {
            await usableFolder(tx, scope, upload.parentId!);
            await tx.insert(nodes).values({
              id: upload.nodeId,
              ownerId: scope.ownerId,
              parentId: upload.parentId,
              kind: 'file',
              wrappedKey: upload.wrappedKey!,
              encryptedMetadata: metadata ?? upload.encryptedMetadata!,
              currentRevisionId: upload.revisionId,
            });
          } else {
            const updated = await tx
              .update(nodes)
              .set({
                currentRevisionId: upload.revisionId,
                updatedAt: completedAt,
                ...(metadata ? { encryptedMetadata: metadata } : {}),
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
      return c.json(await describe(db, await loadUpload(db, user, uploadId)));
    })
    .delete('/:uploadId', async (c) => {
      const upload = await loadUpload(db, c.get('user'), idParam(c, 'uploadId'));
      if (upload.completedAt)
        throw new ApiError(409, 'UPLOAD_COMPLETED', 'this upload is complete; delete the file instead');
      await discardUpload(deps, upload.revisionId);
      return c.body(null, 204);
    });
}

/**
 * Before a revision is published, the segments it will read from must be on disk for good: they are synced together,
 * and checked to be there at their full size. A segment lost to a power cut is forgotten, so that its chunks are
 * asked for again (the completion fails with UPLOAD_INCOMPLETE) instead of published missing.
 */
async function makeSegmentsDurable({ db, blobs }: ServerDeps, upload: UploadRow): Promise<Segment[]> {
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
async function deleteUnusedSegments({ blobs }: ServerDeps, revisionId: string, chosen: Segment[]): Promise<void> {
  const keep = new Set(chosen.map((segment) => segmentKey(revisionId, segment)));
  const unused: string[] = [];
  for await (const key of blobs.list(revisionPrefix(revisionId))) if (!keep.has(key)) unused.push(key);
  for (const key of unused) await blobs.delete(key);
}

/** Deletes an unfinished upload: blobs first, then rows, so that a crash in between is finished by the collector. */
export async function discardUpload(deps: Pick<ServerDeps, 'db' | 'blobs'>, revisionId: string): Promise<void> {
  await deletePrefix(deps.blobs, revisionPrefix(revisionId));
  await deps.db.delete(revisions).where(and(eq(revisions.id, revisionId), isNull(revisions.completedAt)));
}

/** Uploads with their revisions, in one query. */
async function uploadRows(db: Database, condition: SQL | undefined): Promise<UploadRow[]> {
  const rows = await db
    .select()
    .from(uploads)
    .innerJoin(revisions, eq(revisions.id, uploads.revisionId))
    .where(condition);
  return rows.map((row) => ({ ...row.uploads, revision: row.revisions }));
}

async function loadUpload(db: Database, user: AuthUser, uploadId: string): Promise<UploadRow> {
  const [upload] = await uploadRows(db, and(eq(uploads.id, uploadId), uploadsOf(accountActor(user))));
  if (!upload) throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId}`);
  return upload;
}

/** An upload still taking chunks, with the storage its user has in use (see usedBytes), in one query. */
async function loadOpenUpload(
  db: Database,
  user: AuthUser,
  uploadId: string,
  now: Date,
): Promise<{ upload: UploadRow; used: number }> {
  const [row] = await db
    .select({ upload: uploads, revision: revisions, used: usedBytesColumn(user.id) })
    .from(uploads)
    .innerJoin(revisions, eq(revisions.id, uploads.revisionId))
    .where(and(eq(uploads.id, uploadId), uploadsOf(accountActor(user))));
  if (!row) throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId}`);
  const upload = { ...row.upload, revision: row.revision };
  if (upload.completedAt) throw new ApiError(409, 'UPLOAD_COMPLETED', 'this upload is already complete');
  if (upload.expiresAt <= now)
    throw new ApiError(409, 'UPLOAD_EXPIRED', 'this upload sat idle too long and was given up; start again');
  return { upload, used: Number(row.used) };
}

function readHeader(header: Uint8Array) {
  if (header.length !== HEADER_BYTES) {
    throw new ApiError(400, 'BAD_HEADER', `the stream header is ${HEADER_BYTES} bytes, got ${header.length}`);
  }
  try {
    return readHeaderFields(header);
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new ApiError(400, 'BAD_HEADER', error.message);
    throw error;
  }
}

function chunkSizeError(first: number, count: number, expected: number, received: number): ApiError {
  const chunks = count === 1 ? `chunk ${first} is` : `chunks ${first} to ${first + count - 1} are`;
  const body = received > expected ? 'longer' : `${received} bytes`;
  return new ApiError(400, 'CHUNK_SIZE_MISMATCH', `${chunks} ${expected} bytes, the request body is ${body}`);
}

/** How many chunks one request may carry. */
export const MAX_CHUNKS_PER_REQUEST = 64;

function countQuery(text: string | undefined, remaining: number): number {
  if (text === undefined) return 1;
  const max = Math.min(MAX_CHUNKS_PER_REQUEST, remaining);
  const value = Number(text);
  if (!/^\d{1,3}$/.test(text) || value < 1 || value > max) {
    throw new ApiError(
      400,
      'BAD_COUNT',
      `count must be a whole number from 1 to ${max} here, got ${JSON.stringify(text.slice(0, 16))}`,
    );
  }
  return value;
}

/** What a client needs to resume: the stream's parameters and which chunks have arrived. */
async function describe(db: Database, upload: UploadRow) {
  const received = upload.completedAt ? [] : receivedIndexes(await loadSegments(db, upload.revisionId));
  return {
    uploadId: upload.id,
    nodeId: upload.nodeId,
    revisionId: upload.revisionId,
    revision: upload.revision.number,
    header: encodeBase64url(upload.revision.header),
    size: upload.revision.size,
    chunkSize: upload.revision.chunkSize,
    chunkCount: upload.revision.chunkCount,
    newFile: upload.newNode
      ? {
          parentId: upload.parentId,
          wrappedKey: upload.wrappedKey,
          encryptedMetadata: encodeBase64url(upload.encryptedMetadata!),
        }
      : null,
    received,
    expiresAt: upload.expiresAt.toISOString(),
    completedAt: upload.completedAt?.toISOString() ?? null,
  };
}
