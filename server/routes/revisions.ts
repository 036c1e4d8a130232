/**
 * Downloads: a revision's whole stream (header and chunks), any byte range of it, or one chunk. A revision never
 * changes once complete, so responses carry a strong ETag and may be cached for good, privately.
 */
import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { encodeBase64url, MIN_TOKEN_BYTES } from '../../shared/crypto/index.ts';
import type { Database } from '../db/database.ts';
import { revisions, users } from '../db/schema.ts';
import type { AuthEnv, AuthUser } from '../http/auth.ts';
import { concatStreams } from '../http/concat-stream.ts';
import { ApiError } from '../http/errors.ts';
import { parseRange } from '../http/ranges.ts';
import { thumbnailBodyLimit } from '../http/limits.ts';
import { idParam, integerParam } from '../http/validate.ts';
import { quotaExceeded, usedBytes } from '../storage/usage.ts';
import { loadSegments } from '../uploads/segment-rows.ts';
import { revisionPrefix, segmentKey, segmentSlices, type SegmentSlice } from '../uploads/segments.ts';
import { chunkBytes, chunkOffset, streamLayout } from '../uploads/stream-layout.ts';
import { accountActor, ownTree, revisionsIn } from '../access/policy.ts';
import type { ServerDeps } from '../deps.ts';

type Revision = typeof revisions.$inferSelect;

export function revisionRoutes({ db, blobs }: ServerDeps) {
  const read = (revision: Revision, slice: SegmentSlice) => async () => {
    const stream = await blobs.get(segmentKey(revision.id, slice.segment), { start: slice.start, end: slice.end });
    if (!stream) throw new Error(`segment ${slice.segment.firstIndex} of revision ${revision.id} is missing`);
    return stream;
  };
  /** Bytes [start, end) of the stream after its header, read from the revision's segments. */
  const chunkBytesStream = async (revision: Revision, start: number, end: number) => {
    const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
    const slices = segmentSlices(layout, await loadSegments(db, revision.id), start, end);
    return slices.map((slice) => read(revision, slice));
  };

  return (
    new Hono<AuthEnv>()
      .get('/:revisionId', async (c) =>
        c.json(describeRevision(await loadRevision(db, c.get('user'), idParam(c, 'revisionId')))),
      )
      .get('/:revisionId/content', async (c) => {
        const revision = await loadRevision(db, c.get('user'), idParam(c, 'revisionId'));
        const notModified = cacheHeaders(c, revision);
        if (notModified) return notModified;
        const range = parseRange(c.req.header('range'), revision.size);
        const { start, end } = range ?? { start: 0, end: revision.size };
        const header = revision.header.subarray(
          Math.min(start, revision.header.length),
          Math.min(end, revision.header.length),
        );
        const body = concatStreams([async () => header, ...(await chunkBytesStream(revision, start, end))]);
        c.header('content-length', String(end - start));
        if (!range) return c.body(body, 200);
        c.header('content-range', `bytes ${start}-${end - 1}/${revision.size}`);
        return c.body(body, 206);
      })
      .get('/:revisionId/chunks/:index', async (c) => {
        const revision = await loadRevision(db, c.get('user'), idParam(c, 'revisionId'));
        const index = integerParam(c, 'index', revision.chunkCount - 1);
        const notModified = cacheHeaders(c, revision, `/${index}`);
        if (notModified) return notModified;
        const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
        const start = chunkOffset(layout, index);
        const end = start + chunkBytes(layout, index);
        c.header('content-length', String(end - start));
        return c.body(concatStreams(await chunkBytesStream(revision, start, end)), 200);
      })
      // A thumbnail is set once per revision, like the revision itself, so it can be cached for good.
      .put('/:revisionId/thumbnail', thumbnailBodyLimit(), async (c) => {
        const revision = await loadRevision(db, c.get('user'), idParam(c, 'revisionId'));
        if (revision.thumbnailBytes !== null) {
          throw new ApiError(409, 'THUMBNAIL_EXISTS', `revision ${revision.id} has a thumbnail already`);
        }
        const body = new Uint8Array(await c.req.arrayBuffer());
        if (body.length < MIN_TOKEN_BYTES) {
          throw new ApiError(
            400,
            'BAD_THUMBNAIL',
            `an encrypted thumbnail is a Fernet token of at least ${MIN_TOKEN_BYTES} bytes, got ${body.length}`,
          );
        }
        const user = c.get('user');
        const updated = await db.transaction(async (tx) => {
          // Locking the user serialises the quota check with this user's uploads and other thumbnails, as uploads do.
          await tx.select({ id: users.id }).from(users).where(eq(users.id, user.id)).for('update');
          const used = await usedBytes(tx, user.id);
          if (used + body.length > user.quotaBytes) {
            throw quotaExceeded(body.length, used, user.quotaBytes, 'this thumbnail');
          }
          const [row] = await tx
            .update(revisions)
            .set({ thumbnailBytes: body.length })
            .where(and(eq(revisions.id, revision.id), isNull(revisions.thumbnailBytes)))
            .returning();
          // Stored before the row commits, and only by the request that set it: a failure here rolls the row back.
          if (row) await blobs.put(thumbnailKey(revision.id), body, body.length);
          return row;
        });
        if (!updated) throw new ApiError(409, 'THUMBNAIL_EXISTS', `revision ${revision.id} has a thumbnail already`);
        return c.json(describeRevision(updated));
      })
      .get('/:revisionId/thumbnail', async (c) => {
        const revision = await loadRevision(db, c.get('user'), idParam(c, 'revisionId'));
        if (revision.thumbnailBytes === null) {
          throw new ApiError(404, 'NO_THUMBNAIL', `revision ${revision.id} has no thumbnail`);
        }
        const notModified = cacheHeaders(c, revision, '/thumbnail');
        if (notModified) return notModified;
        const stream = await blobs.get(thumbnailKey(revision.id));
        if (!stream) throw new Error(`the thumbnail of revision ${revision.id} is missing`);
        c.header('content-length', String(revision.thumbnailBytes));
        return c.body(stream, 200);
      })
  );
}

/** Beside the revision's segments, so that deleting the revision's prefix deletes it too. */
function thumbnailKey(revisionId: string): string {
  return `${revisionPrefix(revisionId)}thumbnail`;
}

async function loadRevision(db: Database, user: AuthUser, revisionId: string): Promise<Revision> {
  const [revision] = await db
    .select()
    .from(revisions)
    .where(
      and(eq(revisions.id, revisionId), revisionsIn(ownTree(accountActor(user))), isNotNull(revisions.completedAt)),
    );
  if (!revision) throw new ApiError(404, 'NOT_FOUND', `no revision ${revisionId}`);
  return revision;
}

/** Sets the caching headers; returns a 304 response when the client already has this content. */
function cacheHeaders(c: Context, revision: Revision, part = ''): Response | undefined {
  const etag = `"${revision.id}${part}"`;
  c.header('etag', etag);
  c.header('cache-control', 'private, max-age=31536000, immutable');
  c.header('accept-ranges', part ? 'none' : 'bytes');
  c.header('content-type', 'application/octet-stream');
  if (
    c.req
      .header('if-none-match')
      ?.split(',')
      .some((tag) => tag.trim() === etag)
  )
    return c.body(null, 304);
  return undefined;
}

export function describeRevision(revision: Revision) {
  return {
    id: revision.id,
    nodeId: revision.nodeId,
    number: revision.number,
    header: encodeBase64url(revision.header),
    size: revision.size,
    chunkSize: revision.chunkSize,
    chunkCount: revision.chunkCount,
    createdAt: revision.createdAt.toISOString(),
    completedAt: revision.completedAt?.toISOString() ?? null,
    thumbnail: revision.thumbnailBytes !== null,
  };
}
