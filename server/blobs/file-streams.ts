/**
 * An object's bytes as a stream, read from its open file: through the page cache, or direct (direct-io.ts).
 * Either way a stream holds a bounded amount of memory whatever the consumer's pace, and closes the file at the end,
 * on error and on cancel.
 */
import type { FileHandle } from 'node:fs/promises';
import { BLOCK, STAGE_BYTES } from './direct-io.ts';

/** Pieces handed to the consumer are this large at most. */
const READ_CHUNK = 256 * 1024;

/**
 * The bytes [start, end) of the file, read one piece per pull() at an explicit position, so the stream holds about
 * one piece. (Readable.toWeb in Node 20 reads ahead without limit.)
 */
export function fileStream(handle: FileHandle, start: number, end: number): ReadableStream<Uint8Array> {
  let position = start;
  return pieceStream({
    isDone: () => position >= end,
    async readPiece() {
      const buffer = new Uint8Array(Math.min(READ_CHUNK, end - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, position);
      if (bytesRead === 0) throw new Error(`blob file ended at ${position} bytes, ${end} were expected`);
      position += bytesRead;
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  });
}

interface Filled {
  /** File offset of bytes[0]. */
  at: number;
  bytes: Uint8Array;
}

/**
 * The bytes [start, end) of a file opened for direct reads: aligned reads of 512 KiB into two staging buffers, the next
 * read under way while the consumer takes pieces (copies) of the current one. `release` gets the buffers back once
 * no read into them is under way.
 */
export function directFileStream(
  handle: FileHandle,
  start: number,
  end: number,
  buffers: readonly [Uint8Array, Uint8Array],
  release: () => void,
): ReadableStream<Uint8Array> {
  /** The next byte to hand out. */
  let position = start;
  /** The aligned file offset of the next read. */
  let readFrom = start - (start % BLOCK);
  let next = 0;
  let filled: Filled | undefined;
  let reading: Promise<Filled> | undefined;
  let closed = false;

  const readAhead = () => {
    reading = undefined;
    // Once closed, the buffers may already serve another put or read.
    if (closed || readFrom >= end) return;
    const buffer = buffers[next]!;
    next = 1 - next;
    const at = readFrom;
    readFrom += STAGE_BYTES;
    reading = readAligned(handle, buffer, at).then((length) => ({ at, bytes: buffer.subarray(0, length) }));
    // Awaited by the next pull or by close; marked handled so a failure after a cancel is no crash.
    reading.catch(() => undefined);
  };
  return pieceStream({
    isDone: () => position >= end,
    async readPiece() {
      if (!filled || position >= filled.at + filled.bytes.byteLength) {
        if (!filled) readAhead();
        filled = await reading!;
        if (closed) return new Uint8Array(0);
        // A file cut short by an outside hand: the read came back empty, or short with the next one past the end.
        if (position < filled.at || position >= filled.at + filled.bytes.byteLength) {
          throw new Error(`blob file ended at ${position} bytes, ${end} were expected`);
        }
        // Into the other buffer: every piece handed out of it was a copy.
        readAhead();
      }
      const from = position - filled.at;
      const to = Math.min(filled.bytes.byteLength, from + READ_CHUNK, end - filled.at);
      position += to - from;
      return filled.bytes.slice(from, to);
    },
    async close() {
      closed = true;
      await reading?.catch(() => undefined);
      await handle.close();
      release();
    },
  });
}

interface PieceSource {
  isDone(): boolean;
  readPiece(): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * A stream of the source's pieces, one per pull() until it is done. The source is closed once: at the end, on error
 * and on cancel; a piece that arrives after a cancel is dropped.
 */
function pieceStream(source: PieceSource): ReadableStream<Uint8Array> {
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await source.close();
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (!source.isDone()) {
          const piece = await source.readPiece();
          if (closed) return;
          controller.enqueue(piece);
        }
        if (source.isDone()) {
          await close();
          controller.close();
        }
      } catch (error) {
        await close();
        throw error;
      }
    },
    cancel: close,
  });
}

/** Fills the buffer from the aligned offset; fewer bytes only at the end of the file. */
async function readAligned(handle: FileHandle, buffer: Uint8Array, position: number): Promise<number> {
  let length = 0;
  while (length < buffer.byteLength) {
    const { bytesRead } = await handle.read(buffer, length, buffer.byteLength - length, position + length);
    length += bytesRead;
    // The end of the file, which a direct read may reach at any length; short of it, reads stay whole blocks.
    if (bytesRead === 0 || length % BLOCK !== 0) break;
  }
  return length;
}
