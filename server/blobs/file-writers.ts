/**
 * How the filesystem store writes an object's bytes into its temporary file: directly to the disk (O_DIRECT, see
 * direct-io.ts) where the filesystem allows it, else through the page cache.
 */
import type { FileHandle } from 'node:fs/promises';
import { BLOCK, STAGE_BYTES } from './direct-io.ts';

/** Bytes a buffered writer gathers before each writev. */
const WRITE_BATCH = 1024 * 1024;

export interface FileWriter {
  /** Takes the piece, which must not change until finish() resolves: the buffered writer keeps it until then. */
  write(piece: Uint8Array): Promise<void>;
  /** Writes what is still gathered: the file then holds exactly the bytes taken. */
  finish(): Promise<void>;
  /** Waits for any write still under way, whatever its outcome: the file may be closed after this. */
  settle(): Promise<void>;
}

/** Gathers pieces up to 1 MiB and writes them with one writev(2), saving thread-pool trips; keeps them, uncopied. */
export class BufferedFileWriter implements FileWriter {
  readonly #handle: FileHandle;
  #gathered: Uint8Array[] = [];
  #gatheredBytes = 0;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(piece: Uint8Array): Promise<void> {
    this.#gathered.push(piece);
    this.#gatheredBytes += piece.byteLength;
    if (this.#gatheredBytes >= WRITE_BATCH) await this.finish();
  }

  async finish(): Promise<void> {
    const pieces = this.#gathered;
    const total = this.#gatheredBytes;
    this.#gathered = [];
    this.#gatheredBytes = 0;
    if (pieces.length > 0) await writeAllv(this.#handle, pieces, total);
  }

  async settle(): Promise<void> {}
}

/**
 * Copies pieces into one of two aligned staging buffers and writes each full buffer with O_DIRECT while the other
 * fills, so reading the body overlaps the disk's write.
 */
export class DirectFileWriter implements FileWriter {
  readonly #handle: FileHandle;
  readonly #buffers: readonly [Uint8Array, Uint8Array];
  #current = 0;
  #filled = 0;
  /** File offset of the next write. */
  #position = 0;
  #inFlight: Promise<void> | undefined;

  constructor(handle: FileHandle, buffers: readonly [Uint8Array, Uint8Array]) {
    this.#handle = handle;
    this.#buffers = buffers;
  }

  async write(piece: Uint8Array): Promise<void> {
    for (let taken = 0; taken < piece.byteLength;) {
      const count = Math.min(piece.byteLength - taken, STAGE_BYTES - this.#filled);
      this.#buffers[this.#current]!.set(piece.subarray(taken, taken + count), this.#filled);
      this.#filled += count;
      taken += count;
      if (this.#filled === STAGE_BYTES) await this.#flush(STAGE_BYTES);
    }
  }

  async finish(): Promise<void> {
    const size = this.#position + this.#filled;
    const padded = Math.ceil(this.#filled / BLOCK) * BLOCK;
    if (padded > 0) {
      this.#buffers[this.#current]!.fill(0, this.#filled, padded);
      await this.#flush(padded);
    }
    await this.#inFlight;
    this.#inFlight = undefined;
    if (this.#position !== size) await this.#handle.truncate(size);
  }

  async settle(): Promise<void> {
    await this.#inFlight?.catch(() => undefined);
  }

  /** Starts writing the current buffer, once the write before it is done (its buffer is the one to fill next). */
  async #flush(length: number): Promise<void> {
    await this.#inFlight;
    const written = writeAllAt(this.#handle, this.#buffers[this.#current]!, length, this.#position);
    // Awaited by the next flush, finish or settle; marked handled so a failure while the body is read is no crash.
    written.catch(() => undefined);
    this.#inFlight = written;
    this.#position += length;
    this.#current = 1 - this.#current;
    this.#filled = 0;
  }
}

/** FileHandle.write is one write(2), which may write less than asked. */
async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.byteLength;) {
    const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset);
    offset += bytesWritten;
  }
}

async function writeAllAt(handle: FileHandle, bytes: Uint8Array, length: number, position: number): Promise<void> {
  for (let offset = 0; offset < length;) {
    const { bytesWritten } = await handle.write(bytes, offset, length - offset, position + offset);
    offset += bytesWritten;
  }
}

/** FileHandle.writev is one writev(2), which may also write less than asked; the rest is written piece by piece. */
async function writeAllv(handle: FileHandle, pieces: Uint8Array[], total: number): Promise<void> {
  let { bytesWritten } = await handle.writev(pieces);
  if (bytesWritten === total) return;
  for (const piece of pieces) {
    if (bytesWritten >= piece.byteLength) {
      bytesWritten -= piece.byteLength;
      continue;
    }
    await writeAll(handle, piece.subarray(bytesWritten));
    bytesWritten = 0;
  }
}
