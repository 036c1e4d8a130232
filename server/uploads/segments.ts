/**
 * A revision's chunks are stored in segments: one blob per run of consecutive chunks, as one upload request carried
 * them. Fewer, larger blobs cost the store far less than one per chunk (on a filesystem, creating a file costs more
 * than writing 512 KiB into it). A client may send a run again, split differently, so the segments of an unfinished
 * upload can overlap; completion keeps one set that holds every chunk exactly once.
 */
import { HEADER_BYTES } from '../../shared/crypto/index.ts';
import { chunkBytes, chunkOffset, type StreamLayout } from './stream-layout.ts';

export interface Segment {
  firstIndex: number;
  chunkCount: number;
}

export function revisionPrefix(revisionId: string): string {
  return `revisions/${revisionId}/`;
}

/** A one-chunk segment keeps the key that earlier versions, which stored one blob per chunk, gave that chunk. */
export function segmentKey(revisionId: string, { firstIndex, chunkCount }: Segment): string {
  const name = chunkCount === 1 ? `${firstIndex}` : `${firstIndex}-${chunkCount}`;
  return revisionPrefix(revisionId) + name;
}

export function segmentBytes(layout: StreamLayout, { firstIndex, chunkCount }: Segment): number {
  const last = firstIndex + chunkCount - 1;
  return (chunkCount - 1) * layout.fullChunkBytes + chunkBytes(layout, last);
}

/** The indexes of the chunks held by any of the segments, in order. */
export function receivedIndexes(segments: readonly Segment[]): number[] {
  const received = new Set<number>();
  for (const { firstIndex, chunkCount } of segments) {
    for (let index = firstIndex; index < firstIndex + chunkCount; index++) received.add(index);
  }
  return [...received].sort((a, b) => a - b);
}

export interface Cover {
  /** Segments that together hold every chunk, fewest first (ordered by first index); empty when any is missing. */
  chosen: Segment[];
  /** How many chunks no segment holds. */
  missing: number;
}

/** The fewest segments that hold every chunk from 0 to chunkCount - 1: at each chunk, the one reaching furthest. */
export function coverSegments(segments: readonly Segment[], chunkCount: number): Cover {
  const missing = chunkCount - receivedIndexes(segments).filter((index) => index < chunkCount).length;
  if (missing > 0) return { chosen: [], missing };
  const sorted = [...segments].sort((a, b) => a.firstIndex - b.firstIndex);
  const chosen: Segment[] = [];
  let position = 0;
  let next = 0;
  while (position < chunkCount) {
    let best: Segment | undefined;
    for (; next < sorted.length && sorted[next]!.firstIndex <= position; next++) {
      const candidate = sorted[next]!;
      if (!best || end(candidate) > end(best)) best = candidate;
    }
    // Every chunk is held by some segment, so one starting at or before `position` reaches past it.
    chosen.push(best!);
    position = end(best!);
  }
  return { chosen, missing: 0 };
}

const end = (segment: Segment) => segment.firstIndex + segment.chunkCount;

export interface SegmentSlice {
  segment: Segment;
  /** Byte range within the segment's blob. */
  start: number;
  end: number;
}

/**
 * The pieces of segment blobs that make up bytes [start, end) of the stream after the header. Each chunk is read from
 * the first segment, in order, that holds it (a published revision's segments cover it, and may overlap).
 */
export function segmentSlices(
  layout: StreamLayout,
  segments: readonly Segment[],
  start: number,
  end: number,
): SegmentSlice[] {
  const slices: SegmentSlice[] = [];
  let nextIndex = 0;
  for (const segment of [...segments].sort((a, b) => a.firstIndex - b.firstIndex)) {
    const from = Math.max(nextIndex, segment.firstIndex);
    const to = segment.firstIndex + segment.chunkCount;
    if (from >= to) continue;
    nextIndex = to;
    const base = chunkOffset(layout, segment.firstIndex);
    const sliceStart = Math.max(start, chunkOffset(layout, from));
    const sliceEnd = Math.min(end, chunkOffset(layout, to - 1) + chunkBytes(layout, to - 1));
    if (sliceEnd > sliceStart) slices.push({ segment, start: sliceStart - base, end: sliceEnd - base });
  }
  return slices;
}

/**
 * How many more bytes storing `added` makes the revision hold beyond what it already counts against the quota (see
 * server/storage/usage.ts): the larger of the declared size and what its segments hold. Sending a segment again under
 * the same split stores nothing more; a different split of chunks already held does.
 */
export function bytesBeyondReservation(layout: StreamLayout, stored: readonly Segment[], added: Segment): number {
  if (stored.some((segment) => segment.firstIndex === added.firstIndex && segment.chunkCount === added.chunkCount)) {
    return 0;
  }
  const held = HEADER_BYTES + stored.reduce((total, segment) => total + segmentBytes(layout, segment), 0);
  return Math.max(layout.size, held + segmentBytes(layout, added)) - Math.max(layout.size, held);
}
