/** Encryption of a stream (docs/FORMAT.md section 3) as a TransformStream: plaintext in, header and chunks out. */
import { ByteQueue } from './byte-queue.ts';
import { nowSeconds } from './fernet.ts';
import { OrderedPipeline } from './ordered-pipeline.ts';
import { encryptChunk } from './stream-chunks.ts';
import { sealHeader } from './stream-header.ts';
import { NONCE_BYTES, StreamKeys } from './stream-keys.ts';

/**
 * The fastest size in Chromium's WebCrypto, on the main thread and in Web Workers, and safely below the buffer sizes
 * where Chromium's AES-CBC slows down (docs/BENCHMARKS.md, "Crypto").
 */
export const DEFAULT_CHUNK_SIZE = 512 * 1024;
/** Chunks in flight at once: WebCrypto answers each call asynchronously, and overlapping them hides that latency. */
export const DEFAULT_CONCURRENCY = 4;

export interface EncryptStreamOptions {
  fileKey: Uint8Array;
  fileId: Uint8Array;
  revision: number;
  chunkSize?: number;
  concurrency?: number;
  /** Source of the nonce and IVs. Only test vectors replace it. */
  random?: (length: number) => Uint8Array;
  /** Clock for the Fernet timestamps, in seconds. Only test vectors replace it. */
  now?: () => number;
}

export function createEncryptStream(options: EncryptStreamOptions): TransformStream<Uint8Array, Uint8Array> {
  const random = options.random ?? ((length: number) => globalThis.crypto.getRandomValues(new Uint8Array(length)));
  const now = options.now ?? nowSeconds;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const queue = new ByteQueue();
  let keys: StreamKeys;
  let pipeline: OrderedPipeline<Uint8Array>;
  let index = 0;

  const encryptNext = (final: boolean, plaintext: Uint8Array) =>
    pipeline.push(encryptChunk(keys, index++, final, plaintext, { iv: random(16), timestamp: now() }));

  return new TransformStream({
    async start(controller) {
      keys = await StreamKeys.derive(options.fileKey, {
        chunkSize,
        fileId: options.fileId,
        revision: options.revision,
        nonce: random(NONCE_BYTES),
      });
      pipeline = new OrderedPipeline(options.concurrency ?? DEFAULT_CONCURRENCY, (token) => controller.enqueue(token));
      controller.enqueue(await sealHeader(keys));
    },
    async transform(plaintext) {
      queue.push(plaintext);
      // A full chunk is known to be non-final only once at least one byte beyond it has arrived.
      while (queue.length > chunkSize) await encryptNext(false, queue.take(chunkSize));
    },
    async flush() {
      await encryptNext(true, queue.takeAll());
      await pipeline.drain();
    },
  });
}
