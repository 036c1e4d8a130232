/**
 * decryptByteStream, the BYOB path that downloads take: the stream vectors, every size around chunk boundaries and
 * every tamper case go through it as through createDecryptStream, in Node and in Chromium.
 */
import { describe, expect, it } from 'vitest';
import {
  collect,
  decodeBase64url,
  decryptByteStream,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  tokenLength,
  type ByteStreamDecryptOptions,
  type CryptoErrorCode,
} from '../../shared/crypto/index.ts';
import { fromHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { patternBytes } from '../vectors/pattern.ts';
import { expectBytes, expectCode, readUntilError } from './assertions.ts';
import { makeTamperFixture, TAMPER_CASES, TAMPER_CHUNK_SIZE } from './tamper-cases.ts';

const fileId = Uint8Array.from({ length: 16 }, (_, i) => i);
const chunkSize = 1024;

/** A byte stream (as a fetch response's body is) that hands out `bytes` in pieces of the given sizes, cycled. */
function byteSource(bytes: Uint8Array, pieceSizes: number[] = [bytes.length || 1]) {
  let offset = 0;
  let piece = 0;
  const source = {
    cancelled: undefined as unknown,
    stream: new ReadableStream({
      type: 'bytes',
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          // A BYOB read waiting when the stream closes must be answered with an empty view.
          controller.byobRequest?.respond(0);
          return;
        }
        const size = pieceSizes[piece++ % pieceSizes.length]!;
        // Enqueuing transfers the array's buffer, so each piece is a copy.
        controller.enqueue(bytes.slice(offset, offset + size));
        offset += size;
      },
      cancel(reason) {
        source.cancelled = reason;
      },
    }),
  };
  return source;
}

const decrypt = (bytes: Uint8Array, options: ByteStreamDecryptOptions, pieceSizes?: number[]) =>
  collect(decryptByteStream(byteSource(bytes, pieceSizes).stream, options));

describe('decryptByteStream', () => {
  it.each(vectors.stream)('decrypts the vector $name, whatever the piece sizes', async (vector) => {
    const options = {
      fileKey: decodeBase64url(vector.fileKey),
      expected: { fileId: fromHex(vector.fileId), revision: vector.revision },
    };
    const ciphertext = decodeBase64url(vector.ciphertext);
    for (const pieces of [undefined, [1], [7, 1000, 3]]) {
      expectBytes(await decrypt(ciphertext, options, pieces), patternBytes(vector.plaintextSize));
    }
  });

  it('round-trips every size around chunk boundaries, with any read-ahead', async () => {
    const fileKey = generateKey();
    for (const size of [1, 15, 16, 1023, 1024, 1025, 2048, 2049, 5000]) {
      const plaintext = patternBytes(size);
      const ciphertext = await encryptBytes(plaintext, { fileKey, fileId, revision: 1, chunkSize });
      for (const readAheadChunks of [1, 3, 16]) {
        for (const pieces of [[1], [7, 1000, 3], [4096]]) {
          const options = { fileKey, expected: { fileId, revision: 1 }, readAheadChunks, decryptedAhead: 1 };
          expectBytes(await decrypt(ciphertext, options, pieces), plaintext);
        }
      }
    }
  });

  it('decrypts a stream that is not a byte stream through createDecryptStream', async () => {
    const fileKey = generateKey();
    const plaintext = patternBytes(3000);
    const ciphertext = await encryptBytes(plaintext, { fileKey, fileId, revision: 1, chunkSize });
    const plain = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(ciphertext);
        controller.close();
      },
    });
    expectBytes(await collect(decryptByteStream(plain, { fileKey })), plaintext);
  });

  it('refuses a stream that ends in or right after its header', async () => {
    const fileKey = generateKey();
    const ciphertext = await encryptBytes(patternBytes(10), { fileKey, fileId, revision: 1, chunkSize });
    await expectCode(decrypt(ciphertext.subarray(0, HEADER_BYTES), { fileKey }), 'TRUNCATED');
    await expectCode(decrypt(ciphertext.subarray(0, HEADER_BYTES - 1), { fileKey }), 'HEADER_MALFORMED');
  });

  it('releases the chunks before a failing one, none of it, and cancels the source', async () => {
    const fileKey = generateKey();
    const plaintext = patternBytes(6 * chunkSize);
    const ciphertext = await encryptBytes(plaintext, { fileKey, fileId, revision: 1, chunkSize });
    ciphertext[HEADER_BYTES + 2 * tokenLength(chunkSize) + 30]! ^= 1;
    const source = byteSource(ciphertext, [700]);
    const { released, error } = await readUntilError(
      decryptByteStream(source.stream, { fileKey, readAheadChunks: 2, decryptedAhead: 1 }),
    );
    expect(error).toMatchObject({ code: 'CHUNK_INVALID' });
    expectBytes(released, plaintext.subarray(0, 2 * chunkSize));
    expect(source.cancelled).toBe(error);
  });

  it('passes a cancel on to the source', async () => {
    const fileKey = generateKey();
    const ciphertext = await encryptBytes(patternBytes(8 * chunkSize), { fileKey, fileId, revision: 1, chunkSize });
    const source = byteSource(ciphertext, [500]);
    const reader = decryptByteStream(source.stream, { fileKey, readAheadChunks: 2 }).getReader();
    expectBytes((await reader.read()).value!, patternBytes(chunkSize));
    await reader.cancel('the user stopped the download');
    expect(source.cancelled).toBe('the user stopped the download');
  });
});

describe('decryptByteStream against a hostile server altering a stored stream', async () => {
  const fixture = await makeTamperFixture();

  it.each(TAMPER_CASES)('refuses: $name', async (tamper) => {
    const stream = tamper.make(fixture);
    await expectCode(
      decrypt(
        stream,
        { fileKey: fixture.fileKey, expected: { fileId: fixture.fileId, revision: fixture.revision } },
        [333],
      ),
      tamper.expected,
    );
    const keyOnly = tamper.expectedKeyOnly ?? tamper.expected;
    const decryption = decrypt(stream, { fileKey: fixture.fileKey }, [TAMPER_CHUNK_SIZE]);
    if (keyOnly === 'decrypts') expectBytes(await decryption, fixture.plaintext);
    else await expectCode(decryption, keyOnly satisfies CryptoErrorCode);
  });
});
