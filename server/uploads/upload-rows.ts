/** Finding uploads: those of the actor, with their revisions, in one query each. */
import { and, eq, isNull, type SQL } from 'drizzle-orm';
import { uploadsOf, type Actor } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { revisions, uploads } from '../db/schema.ts';
import type { AuthUser } from '../http/auth.ts';
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

/** An upload still taking chunks, with the storage its user has in use (see usedBytes), in one query. */
export async function loadOpenUpload(
  db: Queryable,
  actor: Actor,
  user: AuthUser,
  uploadId: string,
  now: Date,
): Promise<{ upload: UploadRow; used: number }> {
  const [row] = await db
    .select({ upload: uploads, revision: revisions, used: usedBytesColumn(user.id) })
    .from(uploads)
    .innerJoin(revisions, eq(revisions.id, uploads.revisionId))
    .where(and(eq(uploads.id, uploadId), uploadsOf(actor)));
  if (!row) throw new ApiError(404, 'NOT_FOUND', `no upload ${uploadId}`);
  const upload = { ...row.upload, revision: row.revision };
  if (upload.completedAt) throw new ApiError(409, 'UPLOAD_COMPLETED', 'this upload is already complete');
  if (upload.expiresAt <= now)
    throw new ApiError(409, 'UPLOAD_EXPIRED', 'this upload sat idle too long and was given up; start again');
  return { upload, used: Number(row.used) };
}
