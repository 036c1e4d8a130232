/**
 * How a file is cut for upload: chunks of the stream format (docs/FORMAT.md section 3.2), sent in runs of consecutive
 * chunks, one request each (a segment, docs/API.md "Uploading a file"). Pure arithmetic, shared by the page and the
 * encryption workers.
 */
import { HEADER_BYTES, tokenLength } from '$shared/crypto/index.ts';

/** Chunks per request: 8 chunks of 512 KiB make the 4 MiB the server stores best (docs/BENCHMARKS.md, "The server"). */
export const CHUNKS_PER_SEGMENT = 8;

export interface Segment {
  /** Index of the first chunk. */
  first: number;
  count: number;
}

export function chunkCountOf(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Bytes of the encrypted stream, header included. */
export function streamSizeOf(size: number, chunkSize: number): number {
  const chunks = chunkCountOf(size, chunkSize);
  const last = size - (chunks - 1) * chunkSize;
  return HEADER_BYTES + (chunks - 1) * tokenLength(chunkSize) + tokenLength(last);
}

/** Plaintext bytes of chunk `index` of a file of `size` bytes. */
export function chunkRange(index: number, size: number, chunkSize: number): { start: number; end: number } {
  const start = index * chunkSize;
  return { start, end: Math.min(size, start + chunkSize) };
}

/** The runs that hold every chunk not yet received, none longer than CHUNKS_PER_SEGMENT. */
export function missingSegments(chunkCount: number, received: Iterable<number>): Segment[] {
  const have = new Set(received);
  const segments: Segment[] = [];
  let current: Segment | null = null;
  for (let index = 0; index < chunkCount; index++) {
    if (have.has(index)) {
      current = null;
      continue;
    }
    if (current && current.count < CHUNKS_PER_SEGMENT) {
      current.count++;
    } else {
      current = { first: index, count: 1 };
      segments.push(current);
    }
  }
  return segments;
}

/** Plaintext bytes of a segment: from its first chunk's start to its last chunk's end. */
export function segmentRange(segment: Segment, size: number, chunkSize: number): { start: number; end: number } {
  const { start } = chunkRange(segment.first, size, chunkSize);
  const { end } = chunkRange(segment.first + segment.count - 1, size, chunkSize);
  return { start, end };
}

/** Plaintext bytes a segment covers. */
export function segmentPlaintextBytes(segment: Segment, size: number, chunkSize: number): number {
  const { start, end } = segmentRange(segment, size, chunkSize);
  return end - start;
}

/**
 * The plaintext size of a stored stream as its ciphertext size tells it: at most 15 bytes short, because the last
 * chunk's padding hides its exact length. Good enough to list earlier versions of a file.
 */
export function approximatePlaintextSize(streamSize: number, chunkSize: number, chunkCount: number): number {
  const lastToken = streamSize - HEADER_BYTES - (chunkCount - 1) * tokenLength(chunkSize);
  return (chunkCount - 1) * chunkSize + Math.max(0, lastToken - tokenLength(0));
}
