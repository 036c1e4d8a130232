/**
 * A stream's ciphertext passed on unchanged, each piece only once it has been authenticated (docs/FORMAT.md section
 * 3): the header once its MAC verifies for the expected file and revision, each chunk's token once it decrypts in its
 * position. The export archive (section 7) carries ciphertext, and puts none in that the app would refuse to show.
 * The plaintext is checked and dropped; `plaintextBytes` tells its length at the end, for the caller to compare with
 * the size the file's metadata gives.
 */
import { ByteQueue } from './byte-queue.ts';
import { CofferCryptoError } from './errors.ts';
import { tokenLength } from './fernet.ts';
import { decryptChunk } from './stream-chunks.ts';
import { HEADER_BYTES, openHeader, type ExpectedStream } from './stream-header.ts';
import type { StreamKeys } from './stream-keys.ts';

export interface VerifiedCiphertextOptions {
  fileKey: Uint8Array;
  expected: ExpectedStream;
  /** Called once the whole stream has verified, with its plaintext's length. */
  plaintextBytes?: (length: number) => void;
}

export function createVerifiedCiphertextStream(
  options: VerifiedCiphertextOptions,
): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let keys: StreamKeys | undefined;
  let fullTokenBytes = 0;
  let index = 0;
  let plaintext = 0;

  return new TransformStream({
    async transform(bytes, controller) {
      queue.push(bytes);
      if (!keys) {
        if (queue.length < HEADER_BYTES) return;
        const header = queue.take(HEADER_BYTES).slice();
        keys = await openHeader(options.fileKey, header, options.expected);
        fullTokenBytes = tokenLength(keys.params.chunkSize);
        controller.enqueue(header);
      }
      // A full token is non-final only if more follows it; what remains at the end is the final chunk.
      while (queue.length > fullTokenBytes) {
        const token = queue.take(fullTokenBytes).slice();
        plaintext += (await decryptChunk(keys, index++, false, token)).length;
        controller.enqueue(token);
      }
    },
    async flush(controller) {
      if (!keys) {
        await openHeader(options.fileKey, queue.takeAll(), options.expected);
        return;
      }
      if (queue.length === 0)
        throw new CofferCryptoError('TRUNCATED', 'stream ends right after its header, with no chunk');
      const token = queue.takeAll().slice();
      plaintext += (await decryptChunk(keys, index, true, token)).length;
      controller.enqueue(token);
      options.plaintextBytes?.(plaintext);
    },
  });
}
