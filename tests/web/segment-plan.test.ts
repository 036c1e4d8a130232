import { describe, expect, it } from 'vitest';
import { encryptBytes, generateKey } from '../../shared/crypto/index.ts';
import {
  approximatePlaintextSize,
  chunkCountOf,
  CHUNKS_PER_SEGMENT,
  missingSegments,
  segmentPlaintextBytes,
  streamSizeOf,
} from '../../web/src/lib/upload/segment-plan.ts';

const CHUNK = 1024;
const SIZES = [0, 1, 15, 16, 1023, 1024, 1025, 8 * 1024, 8 * 1024 + 17, 20_000];

describe('upload segment plan', () => {
  it.each(SIZES)('predicts the exact stream size and chunk count of %i bytes', async (size) => {
    const stream = await encryptBytes(new Uint8Array(size), {
      fileKey: generateKey(),
      fileId: new Uint8Array(16),
      revision: 1,
      chunkSize: CHUNK,
    });
    expect(streamSizeOf(size, CHUNK)).toBe(stream.length);
    const count = chunkCountOf(size, CHUNK);
    expect(count).toBe(Math.max(1, Math.ceil(size / CHUNK)));
    const estimate = approximatePlaintextSize(stream.length, CHUNK, count);
    expect(size - estimate).toBeGreaterThanOrEqual(0);
    expect(size - estimate).toBeLessThan(16);
  });

  it('covers every missing chunk once, in runs of at most CHUNKS_PER_SEGMENT', () => {
    const received = [0, 1, 5, 20, 21, 22];
    const segments = missingSegments(30, received);
    const covered = segments.flatMap((s) => Array.from({ length: s.count }, (_, i) => s.first + i));
    expect(covered).toEqual(Array.from({ length: 30 }, (_, i) => i).filter((i) => !received.includes(i)));
    expect(Math.max(...segments.map((s) => s.count))).toBeLessThanOrEqual(CHUNKS_PER_SEGMENT);
    expect(segments[0]).toEqual({ first: 2, count: 3 });
    expect(missingSegments(3, [0, 1, 2])).toEqual([]);
  });

  it('counts the plaintext bytes of a segment, the last one short', () => {
    const size = 10 * CHUNK + 100;
    expect(segmentPlaintextBytes({ first: 0, count: 8 }, size, CHUNK)).toBe(8 * CHUNK);
    expect(segmentPlaintextBytes({ first: 8, count: 3 }, size, CHUNK)).toBe(2 * CHUNK + 100);
  });
});
