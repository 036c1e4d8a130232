import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../web/src/lib/zip/crc32.ts';

describe('crc32', () => {
  it('matches the check value of the CRC-32 catalogue', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("matches zlib's for every length up to 64 and unaligned views", () => {
    const bytes = new Uint8Array(randomBytes(200));
    for (let start = 0; start < 8; start++)
      for (let length = 0; length <= 64; length++) {
        const view = bytes.subarray(start, start + length);
        expect(crc32(view)).toBe(zlibCrc32(view));
      }
  });

  it('continues across chunks as if the data were whole', () => {
    const bytes = new Uint8Array(randomBytes(1_000_003));
    let crc = 0;
    for (let at = 0, size = 1; at < bytes.length; at += size, size = (size * 7 + 3) % 65_537)
      crc = crc32(bytes.subarray(at, at + size), crc);
    expect(crc).toBe(zlibCrc32(bytes));
  });
});
