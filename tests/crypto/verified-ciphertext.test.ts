/**
 * The export archive's file streams (docs/FORMAT.md section 7) pass through createVerifiedCiphertextStream: the same
 * bytes come out, each released only once authenticated, and every alteration of the stream is refused with the error
 * the decryptor gives, releasing nothing past the last chunk that verified.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createVerifiedCiphertextStream, HEADER_BYTES, tokenLength } from '../../shared/crypto/index.ts';
import { expectBytes, readUntilError } from './assertions.ts';
import { makeTamperFixture, TAMPER_CASES, TAMPER_CHUNK_SIZE, type TamperFixture } from './tamper-cases.ts';

let fixture: TamperFixture;
beforeAll(async () => {
  fixture = await makeTamperFixture();
});

/** How many leading bytes `a` shares with `b`. */
function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const at = a.findIndex((byte, i) => byte !== b[i]);
  return at === -1 ? a.length : at;
}

function through(bytes: Uint8Array, pieceSize: number, plaintextBytes?: (length: number) => void) {
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let at = 0; at < bytes.length; at += pieceSize) controller.enqueue(bytes.slice(at, at + pieceSize));
      controller.close();
    },
  });
  return readUntilError(
    source.pipeThrough(
      createVerifiedCiphertextStream({
        fileKey: fixture.fileKey,
        expected: { fileId: fixture.fileId, revision: fixture.revision },
        ...(plaintextBytes ? { plaintextBytes } : {}),
      }),
    ),
  );
}

describe('createVerifiedCiphertextStream', () => {
  it.each([1, 77, 4096, 1 << 20])('passes an intact stream on unchanged, read in pieces of %i bytes', async (size) => {
    let length = -1;
    const { released, error } = await through(fixture.original, size, (n) => (length = n));
    expect(error).toBeUndefined();
    expectBytes(released, fixture.original);
    expect(length).toBe(fixture.plaintext.length);
  });

  it.each(TAMPER_CASES)('refuses: $name', async (tamper) => {
    const altered = tamper.make(fixture);
    const { released, error } = await through(altered, 1000);
    expect(error).toMatchObject({ code: tamper.expected });
    // What was released is a prefix of the stream, ending on a chunk boundary, and stops before the first altered
    // byte (a header of another encryption of the same file verifies, so the header may go out whole).
    expectBytes(released, altered.subarray(0, released.length));
    const limit = Math.max(commonPrefix(altered, fixture.original), commonPrefix(altered, fixture.exact), HEADER_BYTES);
    expect(released.length).toBeLessThanOrEqual(limit);
    const token = tokenLength(TAMPER_CHUNK_SIZE);
    expect(released.length === 0 || (released.length - HEADER_BYTES) % token === 0).toBe(true);
  });
});
