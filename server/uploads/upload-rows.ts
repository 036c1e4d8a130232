/** Finding uploads: those of the actor, with their revisions, in one query each. */
import { and, eq, isNull, type SQL } from 'drizzle-orm';
import { authorizeUploadTarget, uploadsOf, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { revisions, uploads, users } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';
import { usedBytesColumn } from '../storage/usage.ts';

export type UploadRow = typeof uploads.$inferSelect & { revision: RevisionRow };

async function uploadRows(db: Queryable, condition: SQL | undefined): Promise<UploadRow[]> {
  const rows = await db
    .select()
    .from(uploads)
    .innerJoin(revisions, eq(revisions.id, uploads.revisionId))
    .where(condition);
  return rows.map((row) => ({ ...row.uploads, revision: row.revisions }));
}

export async function openUploads(db: Queryable, actor: Actor): Promise<UploadRow[]> {
  return uploadRows(db, and(uploadsOf(actor), isNull(uploads.completedAt)));
}

export async function loadUpload(db: Queryable, actor: Actor, uploadId: string): Promise<UploadRow> {
  const [upload] = await uploadRows(db, and(eq(uploads.id, uploadId), uploadsOf(actor)));
  if (!upload) throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId}`);
  return upload;
}

/**
 * An upload still taking chunks, with the quota of the tree it goes into and the storage its owner has in use (see
 * usedBytes), in one query; an upload into another's tree is checked to be allowed still.
 */
export async function loadOpenUpload(
  db: Queryable,
  actor: Actor,
  uploadId: string,
  now: Date,
): Promise<{ upload: UploadRow; used: number; quotaBytes: number }> {
  const [row] = await db
    .select({
      upload: uploads,
      revision: revisions,
      used: usedBytesColumn(revisions.ownerId),
      quotaBytes: users.quotaBytes,
    })
    .from(uploads)
    .innerJoin(revisions, eq(revisions.id, uploads.revisionId))
    .innerJoin(users, eq(users.id, revisions.ownerId))
    .where(and(eq(uploads.id, uploadId), uploadsOf(actor)));
  if (!row) throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId}`);
  const upload = { ...row.upload, revision: row.revision };
  if (upload.completedAt) throw new ApiError(409, 'UPLOAD_COMPLETED', 'this upload is already complete');
  if (upload.expiresAt <= now)
    throw new ApiError(409, 'UPLOAD_EXPIRED', 'this upload sat idle too long and was given up; start again');
  await authorizeUploadTarget(db, actor, upload);
  return { upload, used: Number(row.used), quotaBytes: row.quotaBytes };
}

/** Moves an open upload's expiry on: activity keeps it alive. */
export async function keepUploadAlive(db: Queryable, uploadId: string, expiresAt: Date): Promise<void> {
  await db.update(uploads).set({ expiresAt }).where(eq(uploads.id, uploadId));
}
