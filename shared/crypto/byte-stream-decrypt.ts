/**
 * Decryption of a stream (docs/FORMAT.md section 3) read from a byte stream, such as a fetch response's body, with a
 * BYOB reader: each chunk's token is read straight into one of a few reused buffers. createDecryptStream receives the
 * network's pieces and copies every token that spans two of them, so a gigabyte costs it two more gigabytes of
 * short-lived arrays, which a service worker's engine lets pile up by the hundred megabytes before it collects them.
 * Here the only new arrays are the plaintexts handed on. The guarantees are createDecryptStream's: each chunk's
 * plaintext is released only after that chunk has been authenticated in its position, and the stream errors on the
 * first chunk that is not.
 */
import { CofferCryptoError } from './errors.ts';
import { tokenLength } from './fernet.ts';
import { decryptChunk } from './stream-chunks.ts';
import { createDecryptStream, type DecryptStreamOptions } from './stream-decrypt.ts';
import { HEADER_BYTES, openHeader } from './stream-header.ts';
import type { StreamKeys } from './stream-keys.ts';

export interface ByteStreamDecryptOptions extends Omit<DecryptStreamOptions, 'concurrency'> {
  /** Chunks read and being decrypted ahead of the reader (all at once), so that the network and decryption overlap. */
  readAheadChunks?: number;
  /** Decrypted chunks held for the reader. */
  decryptedAhead?: number;
}

const DEFAULT_READ_AHEAD_CHUNKS = 16;
const DEFAULT_DECRYPTED_AHEAD = 8;

/** The plaintext of `source`; where `source` is not a byte stream, it goes through createDecryptStream instead. */
export function decryptByteStream(
  source: ReadableStream<Uint8Array>,
  options: ByteStreamDecryptOptions,
): ReadableStream<Uint8Array> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = source.getReader({ mode: 'byob' });
  } catch {
    return source.pipeThrough(createDecryptStream(options));
  }
  const readAhead = Math.max(1, options.readAheadChunks ?? DEFAULT_READ_AHEAD_CHUNKS);
  const free: ArrayBuffer[] = [];
  /** Decryptions started, oldest first. */
  const started: Promise<Uint8Array>[] = [];
  let keys: StreamKeys | undefined;
  let tokenBytes = 0;
  let index = 0;
  /** The last full token read, held until the next read tells whether it is the final chunk. */
  let held: Uint8Array<ArrayBuffer> | undefined;
  let ended = false;

  /** Reads until `view` is full or the source ends; a BYOB read hands the memory back under a new ArrayBuffer. */
  async function fill(view: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    // Read before the first read, which detaches `view` (and zeroes its length).
    const { byteOffset, length } = view;
    let buffer = view.buffer;
    let filled = 0;
    while (filled < length) {
      const { done, value } = await reader.read(new Uint8Array(buffer, byteOffset + filled, length - filled));
      if (!value) break;
      buffer = value.buffer;
      filled += value.byteLength;
      if (done) break;
    }
    return new Uint8Array(buffer, byteOffset, filled);
  }

  function start(token: Uint8Array<ArrayBuffer>, final: boolean): void {
    const job = decryptChunk(keys!, index++, final, token).finally(() => free.push(token.buffer));
    // Results are awaited in order in pull(); this only keeps an early rejection from being reported as unhandled.
    job.catch(() => undefined);
    started.push(job);
  }

  /** Reads the next token; starts decrypting the one held before it, now that it is known whether more follows. */
  async function readToken(): Promise<void> {
    const token = await fill(new Uint8Array(free.pop() ?? new ArrayBuffer(tokenBytes), 0, tokenBytes));
    if (token.length === 0) {
      ended = true;
      if (!held) throw new CofferCryptoError('TRUNCATED', 'stream ends right after its header, with no chunk');
      start(held, true);
      held = undefined;
      return;
    }
    if (held) start(held, false);
    held = undefined;
    if (token.length < tokenBytes) {
      ended = true;
      start(token, true);
    } else {
      held = token;
    }
  }

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!keys) {
            const header = await fill(new Uint8Array(HEADER_BYTES));
            // A short header is passed on too, so that openHeader names what is wrong with it.
            keys = await openHeader(options.fileKey, header, options.expected);
            tokenBytes = tokenLength(keys.params.chunkSize);
          }
          while (!ended && started.length < readAhead) await readToken();
          const next = started.shift();
          if (next) controller.enqueue(await next);
        } catch (error) {
          // Nobody will read the rest; rejects (ignored) if the source itself failed.
          await reader.cancel(error).catch(() => undefined);
          throw error;
        }
        if (ended && started.length === 0) {
          reader.releaseLock();
          controller.close();
        }
      },
      async cancel(reason) {
        await reader.cancel(reason);
      },
    },
    new CountQueuingStrategy({ highWaterMark: options.decryptedAhead ?? DEFAULT_DECRYPTED_AHEAD }),
  );
}
