/**
 * Streams (docs/FORMAT.md section 3), as the client reads them from the server: the header alone, and the whole
 * stream through each reader (createDecryptStream, decryptByteStream and the verifying pass-through). A stream decrypts
 * to what was encrypted, and any other bytes, including a valid stream altered in any way, are refused with a stream
 * code (threat model rows 7 and 8).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  createVerifiedCiphertextStream,
  decryptByteStream,
  decryptBytes,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  openHeader,
  readHeaderFields,
  type CryptoErrorCode,
} from '../../shared/crypto/index.ts';
import { anyBytes, FEW, MANY, mutationOf, refuses, returnsOrRefuses, sameBytes } from './arbitraries.ts';

const CHUNK_SIZE = 1024;
const HEADER_CODES: CryptoErrorCode[] = [
  'HEADER_MALFORMED',
  'UNSUPPORTED_VERSION',
  'HEADER_INVALID',
  'HEADER_MISMATCH',
];
const STREAM_CODES: CryptoErrorCode[] = [...HEADER_CODES, 'CHUNK_INVALID', 'TRUNCATED', 'TRAILING_DATA'];
const fileKey = generateKey();
const fileId = Uint8Array.from({ length: 16 }, (_, i) => i);
const revision = 7;
const expected = { fileId, revision };
let stream: Uint8Array;

beforeAll(async () => {
  stream = await encryptBytes(new Uint8Array(2 * CHUNK_SIZE + 100).fill(1), {
    fileKey,
    fileId,
    revision,
    chunkSize: CHUNK_SIZE,
  });
});

/** A byte stream that hands `bytes` over in pieces cut at `cuts`, as a network would. */
function byteSource(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const ends = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces = [...ends, bytes.length].map((end, i, all) => bytes.slice(i === 0 ? 0 : all[i - 1], end));
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      for (const piece of pieces) if (piece.length > 0) controller.enqueue(piece);
      controller.close();
    },
  });
}

const readers = {
  createDecryptStream: (bytes: Uint8Array) => decryptBytes(bytes, { fileKey, expected }),
  decryptByteStream: (bytes: Uint8Array, cuts: number[]) =>
    collect(decryptByteStream(byteSource(bytes, cuts), { fileKey, expected, readAheadChunks: 2 })),
  createVerifiedCiphertextStream: (bytes: Uint8Array, cuts: number[]) =>
    collect(byteSource(bytes, cuts).pipeThrough(createVerifiedCiphertextStream({ fileKey, expected }))),
};
const cuts = fc.array(fc.nat(), { maxLength: 4 });

describe('stream headers, property-tested', () => {
  it('read the fields of any bytes, or refuse them as malformed or of another version', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes(120), mutationOf(stream.subarray(0, HEADER_BYTES))), async (bytes) => {
        await returnsOrRefuses(() => readHeaderFields(bytes), ['HEADER_MALFORMED', 'UNSUPPORTED_VERSION']);
      }),
      MANY,
    );
  });

  it('refuse a valid header with a byte changed or cut short', async () => {
    const header = stream.slice(0, HEADER_BYTES);
    const flippedOrCut = mutationOf(header).filter((bytes) => bytes.length <= HEADER_BYTES);
    await fc.assert(
      fc.asyncProperty(flippedOrCut, async (bytes) => {
        await refuses(() => openHeader(fileKey, bytes, expected), HEADER_CODES);
      }),
      MANY,
    );
  });
});

describe('stream decryption, property-tested', () => {
  it('decrypts what it encrypts, for any plaintext, file id and revision, through every reader', async () => {
    const params = fc.record({
      plaintext: anyBytes(3 * CHUNK_SIZE),
      fileId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
      revision: fc.nat({ max: 0xffffffff }),
    });
    await fc.assert(
      fc.asyncProperty(params, cuts, async ({ plaintext, fileId, revision }, cuts) => {
        const encrypted = await encryptBytes(plaintext, { fileKey, fileId, revision, chunkSize: CHUNK_SIZE });
        const source = () => byteSource(encrypted, cuts);
        const own = { fileKey, expected: { fileId, revision } };
        expect(sameBytes(await decryptBytes(encrypted, own), plaintext)).toBe(true);
        expect(sameBytes(await collect(decryptByteStream(source(), own)), plaintext)).toBe(true);
        const verified = await collect(source().pipeThrough(createVerifiedCiphertextStream(own)));
        expect(sameBytes(verified, encrypted)).toBe(true);
      }),
      { ...FEW, numRuns: 12 },
    );
  });

  for (const [name, read] of Object.entries(readers)) {
    it(`${name} refuses any bytes, and any bytes after a valid header`, async () => {
      const afterHeader = anyBytes(2200).map((tail) => Uint8Array.of(...stream.subarray(0, HEADER_BYTES), ...tail));
      await fc.assert(
        fc.asyncProperty(fc.oneof(anyBytes(), afterHeader), cuts, async (bytes, cuts) => {
          await refuses(() => read(bytes, cuts), STREAM_CODES);
        }),
        FEW,
      );
    });

    it(`${name} refuses a valid stream with any byte changed, cut short, extended or spliced`, async () => {
      await fc.assert(
        fc.asyncProperty(mutationOf(stream), cuts, async (altered, cuts) => {
          await refuses(() => read(altered, cuts), STREAM_CODES);
        }),
        { ...FEW, numRuns: 40 },
      );
    });
  }
});
