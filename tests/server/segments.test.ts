import { describe, expect, it } from 'vitest';
import {
  coverSegments,
  receivedIndexes,
  segmentKey,
  segmentSlices,
  type Segment,
} from '../../server/uploads/segments.ts';
import { streamLayout } from '../../server/uploads/stream-layout.ts';

const seg = (firstIndex: number, chunkCount: number): Segment => ({ firstIndex, chunkCount });

describe('segments', () => {
  it('keys a one-chunk segment as earlier versions keyed the chunk, and a run by its first index and count', () => {
    expect(segmentKey('r', seg(7, 1))).toBe('revisions/r/7');
    expect(segmentKey('r', seg(8, 16))).toBe('revisions/r/8-16');
  });

  it('lists every chunk any segment holds, once, in order', () => {
    expect(receivedIndexes([seg(4, 2), seg(0, 3), seg(2, 3)])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(receivedIndexes([])).toEqual([]);
  });

  it('covers the chunks with the fewest segments, overlapping where a run was sent again differently', () => {
    expect(coverSegments([seg(0, 8), seg(8, 8)], 16)).toEqual({ chosen: [seg(0, 8), seg(8, 8)], missing: 0 });
    // Singles resent after a batch of 4, and a batch that overlaps both.
    const sent = [seg(0, 4), seg(1, 1), seg(2, 1), seg(3, 5), seg(4, 1), seg(5, 3)];
    expect(coverSegments(sent, 8)).toEqual({ chosen: [seg(0, 4), seg(3, 5)], missing: 0 });
    expect(coverSegments([seg(1, 2)], 1)).toEqual({ chosen: [], missing: 1 });
  });

  it('counts the chunks no segment holds', () => {
    expect(coverSegments([seg(0, 2), seg(5, 1)], 8)).toEqual({ chosen: [], missing: 5 });
    expect(coverSegments([], 3)).toEqual({ chosen: [], missing: 3 });
  });

  it('reads each chunk from the first segment holding it, whatever the byte range', () => {
    // 3 chunks of 1024 bytes of plaintext: tokens of 1097 bytes, the last of 153 (a 100-byte final chunk).
    const layout = streamLayout(1024, 80 + 2 * 1097 + 153, 3);
    const whole = segmentSlices(layout, [seg(1, 2), seg(0, 2)], 80, layout.size);
    expect(whole).toEqual([
      { segment: seg(0, 2), start: 0, end: 2194 },
      { segment: seg(1, 2), start: 1097, end: 1250 },
    ]);
    expect(segmentSlices(layout, [seg(0, 2), seg(2, 1)], 1000, 2300)).toEqual([
      { segment: seg(0, 2), start: 920, end: 2194 },
      { segment: seg(2, 1), start: 0, end: 26 },
    ]);
    expect(segmentSlices(layout, [seg(0, 3)], 80 + 1097, 80 + 2194)).toEqual([
      { segment: seg(0, 3), start: 1097, end: 2194 },
    ]);
  });
});
