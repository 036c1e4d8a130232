/**
 * Byte ranges of a file's plaintext, for media that plays as it streams: which chunks hold a range and where their
 * tokens lie in the stored stream (docs/FORMAT.md section 3: the 80-byte header, then one token per chunk; every
 * chunk but the final one holds `chunkSize` bytes, so every token but the final one has the same length).
 */
import { HEADER_BYTES, tokenLength } from '$shared/crypto/index.ts';

/** Plaintext bytes [start, end). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The one range a `Range: bytes=...` header asks for, within a file of `size` bytes. `null` when there is no header
 * or the server may ignore it and send everything (not bytes, several ranges, malformed: RFC 9110 section 14.2);
 * 'unsatisfiable' when it starts at or past the end.
 */
export function parseByteRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    // A suffix: the last N bytes.
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  const last = match[2] === '' ? Infinity : Number(match[2]);
  if (last < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(size, last + 1) };
}

/** The chunks that hold a plaintext range, and the ciphertext bytes to fetch for them. */
export interface ChunkSpan {
  chunkCount: number;
  firstChunk: number;
  /** Inclusive. */
  lastChunk: number;
  /** The tokens of firstChunk..lastChunk: ciphertext bytes [cipherStart, cipherEnd). */
  cipherStart: number;
  cipherEnd: number;
  /** The final chunk's token length; every other token is tokenLength(chunkSize). */
  finalTokenBytes: number;
  /** Plaintext bytes of the first chunk before the range starts. */
  skip: number;
}

export function chunkSpan(size: number, chunkSize: number, range: ByteRange): ChunkSpan {
  if (!(0 <= range.start && range.start < range.end && range.end <= size)) {
    throw new RangeError(`bytes ${range.start}-${range.end} are not a range of a ${size}-byte file`);
  }
  const chunkCount = Math.max(1, Math.ceil(size / chunkSize));
  const fullToken = tokenLength(chunkSize);
  const finalTokenBytes = tokenLength(size - (chunkCount - 1) * chunkSize);
  const firstChunk = Math.floor(range.start / chunkSize);
  const lastChunk = Math.floor((range.end - 1) / chunkSize);
  const tokenEnd = (index: number) =>
    HEADER_BYTES + index * fullToken + (index === chunkCount - 1 ? finalTokenBytes : fullToken);
  return {
    chunkCount,
    firstChunk,
    lastChunk,
    cipherStart: HEADER_BYTES + firstChunk * fullToken,
    cipherEnd: tokenEnd(lastChunk),
    finalTokenBytes,
    skip: range.start - firstChunk * chunkSize,
  };
}
