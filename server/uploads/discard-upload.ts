import { and, eq, isNull } from 'drizzle-orm';
import type { Actor } from '../access/policy.ts';
import { deletePrefix } from '../blobs/blob-store.ts';
import { revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { revisionPrefix } from './segments.ts';
import { loadUpload } from './upload-rows.ts';

/** The actor gives up an upload; a completed one is a file now, deleted as a file. */
export async function abortUpload(deps: ServerDeps, actor: Actor, uploadId: string): Promise<void> {
  const upload = await loadUpload(deps.db, actor, uploadId);
  if (upload.completedAt)
    throw new ApiError(409, 'UPLOAD_COMPLETED', 'this upload is complete; delete the file instead');
  await discardUpload(deps, upload.revisionId);
}

/** Deletes an unfinished upload: blobs first, then rows, so that a crash in between is finished by the collector. */
export async function discardUpload(deps: Pick<ServerDeps, 'db' | 'blobs'>, revisionId: string): Promise<void> {
  await deletePrefix(deps.blobs, revisionPrefix(revisionId));
  await deps.db.delete(revisions).where(and(eq(revisions.id, revisionId), isNull(revisions.completedAt)));
}
