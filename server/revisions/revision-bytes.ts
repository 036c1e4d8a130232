/** A revision's stored stream read back, as the header and slices of the segments that hold its chunks. */
import type { ServerDeps } from '../deps.ts';
import { concatStreams } from '../http/concat-stream.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';
import { loadSegments } from '../uploads/segment-rows.ts';
import { segmentKey, segmentSlices, type SegmentSlice } from '../uploads/segments.ts';
import { chunkBytes, chunkOffset, streamLayout } from '../uploads/stream-layout.ts';

/** Bytes [start, end) of the whole stream, header included. */
export async function streamBytes(
  deps: Pick<ServerDeps, 'db' | 'blobs'>,
  revision: RevisionRow,
  start: number,
  end: number,
): Promise<ReadableStream<Uint8Array>> {
  const header = revision.header.subarray(
    Math.min(start, revision.header.length),
    Math.min(end, revision.header.length),
  );
  return concatStreams([async () => header, ...(await chunkSources(deps, revision, start, end))]);
}

/** Chunk `index` of the stream, and its length. */
export async function chunk(
  deps: Pick<ServerDeps, 'db' | 'blobs'>,
  revision: RevisionRow,
  index: number,
): Promise<{ body: ReadableStream<Uint8Array>; length: number }> {
  const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
  const start = chunkOffset(layout, index);
  const length = chunkBytes(layout, index);
  return { body: concatStreams(await chunkSources(deps, revision, start, start + length)), length };
}

/** Bytes [start, end) of the stream after its header, read from the revision's segments. */
async function chunkSources(
  { db, blobs }: Pick<ServerDeps, 'db' | 'blobs'>,
  revision: RevisionRow,
  start: number,
  end: number,
) {
  const layout = streamLayout(revision.chunkSize, revision.size, revision.chunkCount);
  const slices = segmentSlices(layout, await loadSegments(db, revision.id), start, end);
  const open = async (slice: SegmentSlice) => {
    const stream = await blobs.get(segmentKey(revision.id, slice.segment), { start: slice.start, end: slice.end });
    if (!stream) throw new Error(`segment ${slice.segment.firstIndex} of revision ${revision.id} is missing`);
    return stream;
  };
  // The first segment opens before the response starts: a blob store that is down then gets the request a 503
  // (http/outage-errors.ts) instead of a 200 whose body breaks off.
  const [first, ...rest] = slices;
  if (!first) return [];
  return [await open(first), ...rest.map((slice) => () => open(slice))];
}
