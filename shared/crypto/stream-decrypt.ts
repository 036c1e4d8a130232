/**
 * Decryption of a stream (docs/FORMAT.md section 3) as a TransformStream. Each chunk's plaintext is released only
 * after that chunk has been authenticated in its position; the stream errors on the first chunk that is not.
 */
import { ByteQueue } from './byte-queue.ts';
import { CofferCryptoError } from './errors.ts';
import { tokenLength } from './fernet.ts';
import { OrderedPipeline } from './ordered-pipeline.ts';
import { decryptChunk } from './stream-chunks.ts';
import { DEFAULT_CONCURRENCY } from './stream-encrypt.ts';
import { HEADER_BYTES, openHeader, type ExpectedStream } from './stream-header.ts';
import type { StreamKeys } from './stream-keys.ts';

export interface DecryptStreamOptions {
  fileKey: Uint8Array;
  /** The file id and revision the caller asked for; a stream of another is refused with HEADER_MISMATCH. */
  expected?: ExpectedStream;
  concurrency?: number;
}

export function createDecryptStream(options: DecryptStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  const queue = new ByteQueue();
  let keys: StreamKeys | undefined;
  let fullTokenBytes = 0;
  let pipeline: OrderedPipeline<Uint8Array>;
  let index = 0;

  return new TransformStream({
    start(controller) {
      pipeline = new OrderedPipeline(options.concurrency ?? DEFAULT_CONCURRENCY, (plaintext) =>
        controller.enqueue(plaintext),
      );
    },
    async transform(bytes) {
      queue.push(bytes);
      if (!keys) {
        if (queue.length < HEADER_BYTES) return;
        keys = await openHeader(options.fileKey, queue.take(HEADER_BYTES), options.expected);
        fullTokenBytes = tokenLength(keys.params.chunkSize);
      }
      // Whatever remains when the input ends is the final chunk, so a full token is non-final only if more follows.
      while (queue.length > fullTokenBytes)
        await pipeline.push(decryptChunk(keys, index++, false, queue.take(fullTokenBytes)));
    },
    async flush() {
      if (!keys) {
        // Fewer bytes than a header: let openHeader name what is wrong with them.
        await openHeader(options.fileKey, queue.takeAll(), options.expected);
        return;
      }
      if (queue.length === 0)
        throw new CofferCryptoError('TRUNCATED', 'stream ends right after its header, with no chunk');
      await pipeline.push(decryptChunk(keys, index, true, queue.takeAll()));
      await pipeline.drain();
    },
  });
}
