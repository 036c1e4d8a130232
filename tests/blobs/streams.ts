/** Bodies and readers for the blob store tests. */
import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;

/** Piece sizes that line up with nothing: not with each other, the fs read buffer, nor S3 parts. */
const ODD_PIECES = [1, 7, 4093, 65_537, 100_003, 1_000_003];

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hands out `bytes` in pieces of cycling odd sizes, one piece per pull(), as a network body would arrive. */
export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  let piece = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      const length = ODD_PIECES[piece++ % ODD_PIECES.length]!;
      controller.enqueue(bytes.slice(offset, offset + length));
      offset += length;
    },
  });
}

/** Hands out the first `failAfter` bytes of `bytes`, then fails: a client that goes away mid-upload. */
export function failingStream(bytes: Uint8Array, failAfter: number, error: Error): ReadableStream<Uint8Array> {
  const inner = streamOf(bytes.subarray(0, failAfter)).getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await inner.read();
      if (done) controller.error(error);
      else controller.enqueue(value);
    },
  });
}

/** `size` random bytes made 1 MiB per pull() and never kept; `digest()` is their hash once all were read. */
export function generatedStream(size: number): { stream: ReadableStream<Uint8Array>; digest(): string } {
  const hash = createHash('sha256');
  let made = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (made >= size) return controller.close();
      const piece = randomBytes(Math.min(MiB, size - made));
      hash.update(piece);
      made += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  return { stream, digest: () => hash.copy().digest('hex') };
}

/** A body the test feeds by hand, to look at the store while a put is half done. */
export function manualStream(): {
  stream: ReadableStream<Uint8Array>;
  /** Enqueues the pieces; resolves once the consumer has taken them all and waits for more. */
  push(pieces: Uint8Array[]): Promise<void>;
  end(): void;
} {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let taken: (() => void) | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => void (controller = c),
      pull: () => {
        taken?.();
        taken = undefined;
      },
    },
    // With no high-water mark, pull() runs only when a read waits on an empty queue.
    { highWaterMark: 0 },
  );
  return {
    stream,
    push(pieces) {
      for (const piece of pieces) controller.enqueue(piece);
      return new Promise((resolve) => (taken = resolve));
    },
    end: () => controller.close(),
  };
}

export function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return readRest(stream.getReader());
}

export async function readRest(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Buffer> {
  const pieces: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(pieces);
    pieces.push(value);
  }
}
