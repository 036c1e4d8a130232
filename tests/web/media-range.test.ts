import { describe, expect, it } from 'vitest';
import {
  decryptChunk,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  openHeader,
  tokenLength,
  uuidToBytes,
} from '../../shared/crypto/index.ts';
import { chunkSpan, parseByteRange } from '../../web/src/lib/preview/media-range.ts';
import { mediaContentType } from '../../web/src/lib/preview/media-type.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { patternBytes } from '../vectors/pattern.ts';

describe('the byte range a media element asks for', () => {
  const size = 5000;

  it('reads one range of bytes, open-ended or a suffix, and keeps it within the file', () => {
    expect(parseByteRange('bytes=0-', size)).toEqual({ start: 0, end: 5000 });
    expect(parseByteRange('bytes=10-19', size)).toEqual({ start: 10, end: 20 });
    expect(parseByteRange('bytes=4990-999999', size)).toEqual({ start: 4990, end: 5000 });
    expect(parseByteRange('bytes=-100', size)).toEqual({ start: 4900, end: 5000 });
    expect(parseByteRange('bytes=-9000', size)).toEqual({ start: 0, end: 5000 });
    expect(parseByteRange(' bytes=4999-4999 ', size)).toEqual({ start: 4999, end: 5000 });
  });

  it('is unsatisfiable when it starts at or past the end, or asks for an empty suffix', () => {
    expect(parseByteRange('bytes=5000-', size)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=6000-7000', size)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', size)).toBe('unsatisfiable');
  });

  it('is ignored, so that the whole file is sent, when absent, malformed, reversed or several', () => {
    for (const header of [null, '', 'bytes=', 'bytes=-', 'items=0-10', 'bytes=9-3', 'bytes=0-1,5-6', 'bytes=a-b']) {
      expect(parseByteRange(header, size), String(header)).toBeNull();
    }
  });
});

describe('the chunks that hold a range', () => {
  const chunkSize = 1024;

  /** Decrypts the span's tokens one by one, as the service worker does, and cuts them to the range. */
  async function readRange(plaintext: Uint8Array, start: number, end: number) {
    const nodeId = crypto.randomUUID();
    const fileKey = generateKey();
    const expected = { fileId: uuidToBytes(nodeId), revision: 3 };
    const ciphertext = await encryptBytes(plaintext, { fileKey, chunkSize, ...expected });
    const keys = await openHeader(fileKey, ciphertext.subarray(0, HEADER_BYTES), expected);
    const span = chunkSpan(plaintext.length, chunkSize, { start, end });
    expect(span.cipherEnd).toBeLessThanOrEqual(ciphertext.length);
    const tokens = ciphertext.subarray(span.cipherStart, span.cipherEnd);
    const pieces: Uint8Array[] = [];
    let offset = 0;
    for (let index = span.firstChunk; index <= span.lastChunk; index++) {
      const final = index === span.chunkCount - 1;
      const tokenBytes = final ? span.finalTokenBytes : tokenLength(chunkSize);
      pieces.push(await decryptChunk(keys, index, final, tokens.subarray(offset, offset + tokenBytes)));
      offset += tokenBytes;
    }
    expect(offset).toBe(tokens.length);
    const joined = new Uint8Array(pieces.reduce((total, piece) => total + piece.length, 0));
    pieces.reduce((at, piece) => (joined.set(piece, at), at + piece.length), 0);
    return joined.subarray(span.skip, span.skip + (end - start));
  }

  for (const size of [5000, 4096, 1, 1024, 1025]) {
    it(`gives exactly the asked bytes of a ${size}-byte file, for ranges on and across chunk boundaries`, async () => {
      const plaintext = patternBytes(size);
      const edges = [0, 1, 1023, 1024, 1025, 2047, 2048, 4095, 4096, size - 1, size].filter((n) => n >= 0 && n <= size);
      for (const start of edges) {
        for (const end of edges) {
          if (end <= start) continue;
          expectBytes(await readRange(plaintext, start, end), plaintext.subarray(start, end));
        }
      }
    });
  }

  it('refuses a range that is not within the file', () => {
    expect(() => chunkSpan(100, chunkSize, { start: 50, end: 50 })).toThrow(RangeError);
    expect(() => chunkSpan(100, chunkSize, { start: 0, end: 101 })).toThrow(RangeError);
  });
});

describe("the Content-Type of a media preview's response", () => {
  it('keeps the audio, video, raster image and PDF types the previewer shows, bare', () => {
    expect(mediaContentType('video/webm')).toBe('video/webm');
    expect(mediaContentType('Audio/MPEG ')).toBe('audio/mpeg');
    expect(mediaContentType('image/png')).toBe('image/png');
    expect(mediaContentType('application/pdf')).toBe('application/pdf');
  });

  it('sends anything else as bytes nothing renders: documents, SVG, parameters, no type at all', () => {
    for (const type of [
      'text/html',
      'application/xhtml+xml',
      'image/svg+xml',
      'text/xml',
      'application/javascript',
      'video/mp4; codecs="avc1"',
      'video/mp4\r\nset-cookie: x',
      'video/',
      '',
    ]) {
      expect(mediaContentType(type), type).toBe('application/octet-stream');
    }
  });
});
