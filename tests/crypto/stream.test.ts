import { describe, expect, it } from 'vitest';
import {
  createDecryptStream,
  createEncryptStream,
  decodeBase64url,
  decryptBytes,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  tokenLength,
  type CryptoErrorCode,
} from '../../shared/crypto/index.ts';
import { concatBytes, fromHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { patternBytes } from '../vectors/pattern.ts';
import { expectBytes, expectCode, readUntilError } from './assertions.ts';
import { makeTamperFixture, TAMPER_CASES, TAMPER_CHUNK_SIZE } from './tamper-cases.ts';

const fileId = Uint8Array.from({ length: 16 }, (_, i) => i);

/** Feeds `bytes` through `transform` in pieces of the given sizes (cycled), and returns every output piece. */
async function pump(transform: TransformStream<Uint8Array, Uint8Array>, bytes: Uint8Array, pieceSizes: number[]) {
  const writer = transform.writable.getWriter();
  const output: Uint8Array[] = [];
  const reading = (async () => {
    for await (const piece of transform.readable) output.push(piece);
  })();
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = pieceSizes[i % pieceSizes.length]!;
    await writer.write(bytes.subarray(offset, offset + size));
    offset += size;
  }
  await writer.close();
  await reading;
  return output;
}

describe('stream vectors', () => {
  it.each(vectors.stream)('decrypts $name', async (vector) => {
    const plaintext = await decryptBytes(decodeBase64url(vector.ciphertext), {
      fileKey: decodeBase64url(vector.fileKey),
      expected: { fileId: fromHex(vector.fileId), revision: vector.revision },
    });
    expectBytes(plaintext, patternBytes(vector.plaintextSize));
  });

  it.each(vectors.stream)('encrypts $name to exactly the same bytes', async (vector) => {
    const randomness = [fromHex(vector.nonce), ...vector.ivs.map((iv) => fromHex(iv))];
    const ciphertext = await encryptBytes(patternBytes(vector.plaintextSize), {
      fileKey: decodeBase64url(vector.fileKey),
      fileId: fromHex(vector.fileId),
      revision: vector.revision,
      chunkSize: vector.chunkSize,
      random: () => randomness.shift()!,
      now: () => vector.timestamp,
    });
    expect(randomness).toHaveLength(0);
    expectBytes(ciphertext, decodeBase64url(vector.ciphertext));
  });
});

describe('stream format', () => {
  const chunkSize = 1024;

  it('round-trips every size around chunk boundaries, whatever the piece sizes', async () => {
    const fileKey = generateKey();
    for (const size of [0, 1, 15, 16, 1023, 1024, 1025, 2048, 2049, 5000]) {
      const plaintext = patternBytes(size);
      for (const pieces of [[1], [7, 1000, 3], [size || 1], [4096]]) {
        const ciphertext = concatBytes(
          ...(await pump(createEncryptStream({ fileKey, fileId, revision: 1, chunkSize }), plaintext, pieces)),
        );
        const chunks = Math.max(1, Math.ceil(size / chunkSize));
        const lastSize = size - (chunks - 1) * chunkSize;
        expect(ciphertext.length).toBe(HEADER_BYTES + (chunks - 1) * tokenLength(chunkSize) + tokenLength(lastSize));
        const decrypted = await pump(
          createDecryptStream({ fileKey, expected: { fileId, revision: 1 } }),
          ciphertext,
          pieces,
        );
        expectBytes(concatBytes(...decrypted), plaintext);
      }
    }
  });

  it('encrypts the same plaintext differently each time', async () => {
    const fileKey = generateKey();
    const options = { fileKey, fileId, revision: 1, chunkSize };
    const a = await encryptBytes(patternBytes(100), options);
    const b = await encryptBytes(patternBytes(100), options);
    expect(a).not.toEqual(b);
  });

  it('releases no plaintext of a chunk that fails, and everything before it', async () => {
    const fileKey = generateKey();
    const plaintext = patternBytes(4 * chunkSize);
    const ciphertext = await encryptBytes(plaintext, { fileKey, fileId, revision: 1, chunkSize });
    ciphertext[HEADER_BYTES + 2 * tokenLength(chunkSize) + 30]! ^= 1;
    const { released, error } = await readUntilError(
      new Blob([ciphertext]).stream().pipeThrough(createDecryptStream({ fileKey })),
    );
    expect(error).toMatchObject({ code: 'CHUNK_INVALID' });
    expectBytes(released, plaintext.subarray(0, 2 * chunkSize));
  });

  it('refuses bad parameters with a clear error', async () => {
    await expectCode(encryptBytes(new Uint8Array(1), { fileKey: new Uint8Array(31), fileId, revision: 1 }), 'BAD_KEY');
    await expectCode(
      encryptBytes(new Uint8Array(1), { fileKey: generateKey(), fileId, revision: 1, chunkSize: 100 }),
      'BAD_ARGUMENT',
    );
    await expectCode(
      encryptBytes(new Uint8Array(1), { fileKey: generateKey(), fileId: new Uint8Array(8), revision: 1 }),
      'BAD_ARGUMENT',
    );
    await expectCode(encryptBytes(new Uint8Array(1), { fileKey: generateKey(), fileId, revision: -1 }), 'BAD_ARGUMENT');
    await expectCode(decryptBytes(new Uint8Array(200), { fileKey: new Uint8Array(3) }), 'HEADER_MALFORMED');
  });
});

describe('a hostile server altering a stored stream', async () => {
  const fixture = await makeTamperFixture();

  it('leaves the untouched streams decryptable', async () => {
    const options = { fileKey: fixture.fileKey, expected: { fileId: fixture.fileId, revision: fixture.revision } };
    expect(await decryptBytes(fixture.original, options)).toEqual(fixture.plaintext);
    expect(await decryptBytes(fixture.exact, options)).toEqual(fixture.plaintext.subarray(0, 3 * TAMPER_CHUNK_SIZE));
  });

  it.each(TAMPER_CASES)('refuses: $name', async (tamper) => {
    const stream = tamper.make(fixture);
    await expectCode(
      decryptBytes(stream, {
        fileKey: fixture.fileKey,
        expected: { fileId: fixture.fileId, revision: fixture.revision },
      }),
      tamper.expected,
    );
    const keyOnly = tamper.expectedKeyOnly ?? tamper.expected;
    const decryption = decryptBytes(stream, { fileKey: fixture.fileKey });
    if (keyOnly === 'decrypts') expect(await decryption).toEqual(fixture.plaintext);
    else await expectCode(decryption, keyOnly satisfies CryptoErrorCode);
  });
});
