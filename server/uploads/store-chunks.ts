/**
 * Storing chunks: one request's consecutive chunks are written as one blob, a segment (segments.ts), straight to its
 * final key. Idempotent, in any order, in parallel; made durable only when the upload completes.
 */
import { BlobSizeError } from '../blobs/blob-store.ts';
import { revisionSegments } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { formatBytes } from '../storage/usage.ts';
import { loadSegments } from './segment-rows.ts';
import { bytesBeyondReservation, type Segment, segmentBytes, segmentKey } from './segments.ts';
import { streamLayout } from './stream-layout.ts';
import { uploadExpiry } from './upload-expiry.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';

/** How many chunks one request may carry. */
export const MAX_CHUNKS_PER_REQUEST = 64;

export interface ChunkBody {
  segment: Segment;
  /** The request's Content-Length, when it sent one. */
  declaredBytes: number | undefined;
  /** Opened only once the checks pass, so that a refused request's body is never read. */
  openBody: () => ReadableStream<Uint8Array> | Uint8Array;
}

/**
 * An open upload's revision, whose owner has `used` bytes in use (upload-rows.ts, loadOpenUpload), and how to keep the
 * upload alive: an account's upload and one through a request link are kept in different tables.
 */
export interface OpenStream {
  revision: RevisionRow;
  expiresAt: Date;
  used: number;
  quotaBytes: number;
  keepAlive: (expiresAt: Date) => Promise<unknown>;
}

/** Stores a segment of an open upload's stream. */
export async function storeChunks(
  deps: ServerDeps,
  { revision, expiresAt, used, quotaBytes, keepAlive }: OpenStream,
  { segment, declaredBytes, openBody }: ChunkBody,
): Promise<void> {
  const { db, blobs, now } = deps;
  const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
  const expected = segmentBytes(layout, segment);
  if (declaredBytes !== undefined && declaredBytes !== expected) {
    throw chunkSizeError(segment, expected, declaredBytes);
  }
  // The quota was reserved when the upload was created; it is checked again in case it was lowered since, and for
  // a segment that overlaps others, which stores more than the reservation.
  const beyond = bytesBeyondReservation(layout, await loadSegments(db, revision.id), segment);
  if (used + beyond > quotaBytes) {
    throw new ApiError(
      413,
      'QUOTA_EXCEEDED',
      `${formatBytes(used + beyond)} would be reserved or stored, over the ${formatBytes(quotaBytes)} quota of the account this file is stored for`,
    );
  }
  // Made durable when the upload completes; until then a lost segment is simply sent again.
  try {
    await blobs.put(segmentKey(revision.id, segment), openBody(), expected, { durable: false });
  } catch (error) {
    if (error instanceof BlobSizeError) throw chunkSizeError(segment, expected, error.received);
    throw error;
  }
  await db
    .insert(revisionSegments)
    .values({ revisionId: revision.id, ...segment })
    .onConflictDoNothing();
  // Activity keeps the upload alive; refreshing the expiry once half the idle window has passed is enough.
  if (expiresAt.getTime() - now().getTime() < deps.limits.uploadIdleMs / 2) await keepAlive(uploadExpiry(deps));
}

function chunkSizeError({ firstIndex, chunkCount }: Segment, expected: number, received: number): ApiError {
  const chunks =
    chunkCount === 1 ? `chunk ${firstIndex} is` : `chunks ${firstIndex} to ${firstIndex + chunkCount - 1} are`;
  const body = received > expected ? 'longer' : `${received} bytes`;
  return new ApiError(400, 'CHUNK_SIZE_MISMATCH', `${chunks} ${expected} bytes, the request body is ${body}`);
}
