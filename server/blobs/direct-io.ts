/**
 * Direct I/O (O_DIRECT) for the filesystem store: object bytes move between the disk and aligned staging buffers
 * without passing through the page cache.
 *
 * A buffered write copies every byte into newly allocated page-cache pages, and the kernel later copies them to the
 * disk; a buffered read of an object not in the cache fills new pages the same way. Uploads write each object once and
 * downloads read it once, so those pages buy little, and they are costly in kernel time wherever touching new memory
 * is dear, as on the benchmark machine (docs/BENCHMARKS.md, "The server"). MinIO writes its data files with
 * O_DIRECT for the same reason (minio/minio#7479). Direct I/O needs its memory, length and file offset aligned to the
 * device's block size: bytes are gathered in (or read into) buffers carved from a WebAssembly memory, whose base is
 * page-aligned, and the last block of a write is written whole and the file then truncated to the object's size.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Every direct transfer's memory, length and offset are multiples of this: the largest logical block size in use. */
export const BLOCK = 4096;
/** Bytes per direct write or read: large enough that the disk's per-request cost is small beside the transfer. */
export const STAGE_BYTES = 512 * 1024;
/**
 * Staging buffers of one store (8 MiB): two per put or read stream, so eight at once; the rest go through the cache.
 * They stay resident once used, so they count against the server's memory.
 */
const STAGING_SLOTS = 16;
const WASM_PAGE = 64 * 1024;

/** O_DIRECT is Linux's (and FreeBSD's); elsewhere Node leaves it undefined and all I/O goes through the cache. */
const DIRECT_FLAG = (constants as { O_DIRECT?: number }).O_DIRECT;

/** Aligned staging buffers for direct I/O, carved from one WebAssembly memory, whose base is page-aligned. */
export class StagingBuffers {
  readonly #free: Uint8Array[];

  constructor(slots = STAGING_SLOTS) {
    const pages = (slots * STAGE_BYTES) / WASM_PAGE;
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    this.#free = Array.from(
      { length: slots },
      (_, slot) => new Uint8Array(memory.buffer, slot * STAGE_BYTES, STAGE_BYTES),
    );
  }

  /** Two buffers for one put or read stream, or undefined when every pair is in use. */
  take(): [Uint8Array, Uint8Array] | undefined {
    if (this.#free.length < 2) return undefined;
    return [this.#free.pop()!, this.#free.pop()!];
  }

  give(buffers: readonly [Uint8Array, Uint8Array]): void {
    this.#free.push(...buffers);
  }
}

/** Opens a new file for direct writes; fails if it exists. */
export function createDirect(path: string): Promise<FileHandle> {
  return open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | DIRECT_FLAG!, 0o666);
}

/** Opens a file for direct reads. */
export function openDirect(path: string): Promise<FileHandle> {
  return open(path, constants.O_RDONLY | DIRECT_FLAG!);
}

/** Whether the filesystem holding `dir` takes direct I/O: tmpfs before Linux 6.6 and some others refuse them. */
export async function acceptsDirectIo(dir: string, staging: StagingBuffers): Promise<boolean> {
  if (DIRECT_FLAG === undefined) return false;
  const buffers = staging.take();
  if (!buffers) return false;
  const path = join(dir, randomBytes(16).toString('hex'));
  try {
    const written = await createDirect(path);
    try {
      await written.write(buffers[0], 0, BLOCK, 0);
    } finally {
      await written.close();
    }
    const read = await openDirect(path);
    try {
      return (await read.read(buffers[1], 0, BLOCK, 0)).bytesRead === BLOCK;
    } finally {
      await read.close();
    }
  } catch {
    return false;
  } finally {
    staging.give(buffers);
    await rm(path, { force: true });
  }
}
