/**
 * A revision's encrypted thumbnail: set once, like the revision itself, counted against the quota, and kept beside
 * the revision's segments so that deleting the revision's prefix deletes it too.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { RevisionRecord } from '../../shared/api/responses.ts';
import { MIN_TOKEN_BYTES } from '../../shared/crypto/index.ts';
import { revisions } from '../db/schema.ts';
import type { Scope } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';
import { lockQuota, quotaExceeded, quotaHolder } from '../storage/usage.ts';
import { revisionPrefix } from '../uploads/segments.ts';
import { revisionJson } from './revision-json.ts';

/** Sets the thumbnail of a revision the actor may write, against the quota of the tree's owner (`scope`). */
export async function setThumbnail(
  { db, blobs }: ServerDeps,
  scope: Scope,
  revision: RevisionRow,
  body: Uint8Array,
): Promise<RevisionRecord> {
  if (revision.thumbnailBytes !== null) throw thumbnailExists(revision.id);
  if (body.length < MIN_TOKEN_BYTES) {
    throw new ApiError(
      400,
      'BAD_THUMBNAIL',
      `an encrypted thumbnail is a Fernet token of at least ${MIN_TOKEN_BYTES} bytes, got ${body.length}`,
    );
  }
  const updated = await db.transaction(async (tx) => {
    // Locking the owner serialises the quota check with uploads into its tree and other thumbnails, as uploads do.
    const { used, quotaBytes } = await lockQuota(tx, scope.ownerId);
    if (used + body.length > quotaBytes)
      throw quotaExceeded(body.length, used, quotaBytes, 'this thumbnail', quotaHolder(scope));
    const [row] = await tx
      .update(revisions)
      .set({ thumbnailBytes: body.length })
      .where(and(eq(revisions.id, revision.id), isNull(revisions.thumbnailBytes)))
      .returning();
    // Stored before the row commits, and only by the request that set it: a failure here rolls the row back.
    if (row) await blobs.put(thumbnailKey(revision.id), body, body.length);
    return row;
  });
  if (!updated) throw thumbnailExists(revision.id);
  return revisionJson(updated);
}

/** The stored thumbnail's length, and a way to read it once the client turns out not to have it already. */
export function thumbnail(
  { blobs }: ServerDeps,
  revision: RevisionRow,
): { length: number; open: () => Promise<ReadableStream<Uint8Array>> } {
  if (revision.thumbnailBytes === null) {
    throw new ApiError(404, 'NO_THUMBNAIL', `revision ${revision.id} has no thumbnail`);
  }
  const open = async () => {
    const body = await blobs.get(thumbnailKey(revision.id));
    if (!body) throw new Error(`the thumbnail of revision ${revision.id} is missing`);
    return body;
  };
  return { length: revision.thumbnailBytes, open };
}

export function thumbnailKey(revisionId: string): string {
  return `${revisionPrefix(revisionId)}thumbnail`;
}

function thumbnailExists(revisionId: string): ApiError {
  return new ApiError(409, 'THUMBNAIL_EXISTS', `revision ${revisionId} has a thumbnail already`);
}
