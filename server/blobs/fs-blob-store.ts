/**
 * Blob store on a local filesystem: key 'a/b/c' is the file <root>/a/b/c. Puts go through a temporary file in
 * <root>/.tmp ('.tmp' can never be a key segment) that is synced and then renamed into place, so the final path only
 * ever holds complete objects.
 *
 * Unlike S3, a filesystem cannot hold both an object 'a' and an object 'a/b' (a path is a file or a directory): such a
 * put fails with the system's error (EEXIST, ENOTDIR, EISDIR) and leaves the existing object alone.
 */
import { randomBytes } from 'node:crypto';
import {
  access,
  constants,
  lstat,
  mkdir,
  open,
  opendir,
  rename,
  rm,
  rmdir,
  stat as statPath,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { checkBlobPrefix, checkBlobSize, checkByteRange, isBlobKey } from './blob-arguments.ts';
import { BlobSizeError, checkBlobKey } from './blob-store.ts';
import type { BlobInfo, BlobStore } from './blob-store.ts';
import { acceptsDirectIo, createDirect, openDirect, StagingBuffers } from './direct-io.ts';
import { directFileStream, fileStream } from './file-streams.ts';
import { BufferedFileWriter, DirectFileWriter, type FileWriter } from './file-writers.ts';

export interface FsBlobStore extends BlobStore {
  readonly kind: 'fs';
  readonly root: string;
  /** Whether objects are written and read straight from the disk (O_DIRECT), not via the page cache (direct-io.ts). */
  readonly directIo: boolean;
  /**
   * Removes temporary files last written more than `minAgeMs` ago: what puts leave behind when the process dies
   * mid-write. Meant for start-up; a put still writing a file older than that would fail. Returns how many it removed.
   */
  collectTemporaryFiles(minAgeMs?: number): Promise<number>;
}

const TEMP_DIR = '.tmp';
const DEFAULT_TEMP_AGE_MS = 60 * 60 * 1000;
/** fsyncs in flight at once in makeDurable: enough to keep the disk queue full without flooding the thread pool. */
const SYNC_CONCURRENCY = 8;
/** A concurrent delete may remove the directory between a put's mkdir and its rename; the put then makes it again. */
const RENAME_ATTEMPTS = 3;

export interface FsBlobStoreOptions {
  /** Goes through the page cache even where the filesystem takes direct I/O (tests of the buffered path). */
  buffered?: boolean;
}

export async function createFsBlobStore(root: string, options: FsBlobStoreOptions = {}): Promise<FsBlobStore> {
  const base = resolve(root);
  const tempDir = join(base, TEMP_DIR);
  await mkdir(tempDir, { recursive: true });
  const staging = new StagingBuffers();
  const directIo = !options.buffered && (await acceptsDirectIo(tempDir, staging));
  const pathOf = (key: string) => join(base, checkBlobKey(key));
  const writeBehind = new WriteBehind();

  async function* walk(dirKey: string, namePrefix: string): AsyncGenerator<string> {
    let dir;
    try {
      dir = await opendir(join(base, dirKey));
    } catch (error) {
      // Deleting the last object of a directory removes it, possibly while this walk is under way.
      if (isNotFound(error)) return;
      throw error;
    }
    for await (const entry of dir) {
      const key = dirKey + entry.name;
      // Skips .tmp and anything else that is not a key, which get() and delete() would reject.
      if (!entry.name.startsWith(namePrefix) || !isBlobKey(key)) continue;
      if (entry.isDirectory()) yield* walk(key + '/', '');
      else if (entry.isFile()) yield key;
    }
  }

  return {
    kind: 'fs',
    root: base,
    directIo,

    async put(key, body, size, options = {}) {
      const durable = options.durable ?? true;
      const path = pathOf(key);
      checkBlobSize(size);
      if (body instanceof Uint8Array && body.byteLength !== size) throw new BlobSizeError(size, body.byteLength);
      const tempPath = join(tempDir, randomBytes(16).toString('hex'));
      // Buffered when every staging buffer is taken: a burst of puts is never made to wait for one.
      let buffers = directIo ? staging.take() : undefined;
      const releaseBuffers = () => {
        if (buffers) staging.give(buffers);
        buffers = undefined;
      };
      try {
        const handle = buffers ? await createDirect(tempPath) : await open(tempPath, 'wx');
        try {
          const writer = buffers ? new DirectFileWriter(handle, buffers) : new BufferedFileWriter(handle);
          try {
            await writeBody(writer, body, size);
          } finally {
            // The buffers serve the next put once no write from them is under way, not after the sync and rename.
            await writer.settle();
            releaseBuffers();
          }
          if (durable) await handle.sync();
        } finally {
          await handle.close();
        }
        await moveIntoPlace(tempPath, path, durable);
        if (!durable) writeBehind.add(path);
      } catch (error) {
        await rm(tempPath, { force: true });
        throw error;
      } finally {
        releaseBuffers();
      }
    },

    async get(key, range) {
      const path = pathOf(key);
      if (range) checkByteRange(range);
      // Read through the cache when every staging buffer is taken.
      let buffers = directIo ? staging.take() : undefined;
      let handle;
      try {
        handle = buffers ? await openDirect(path).catch(() => undefined) : undefined;
        // A directory ('a' when only 'a/b' exists) refuses a direct open with EINVAL; the plain open tells it apart.
        if (!handle && buffers) {
          staging.give(buffers);
          buffers = undefined;
        }
        handle ??= await open(path, 'r');
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) {
          await handle.close();
          return undefined;
        }
        const { start, end } = range ? checkByteRange(range, info.size) : { start: 0, end: info.size };
        if (!buffers) return fileStream(handle, start, end);
        const taken = buffers;
        return directFileStream(handle, start, end, taken, () => staging.give(taken));
      } catch (error) {
        await handle.close();
        if (buffers) staging.give(buffers);
        throw error;
      }
    },

    async stat(key): Promise<BlobInfo | undefined> {
      const path = pathOf(key);
      try {
        const info = await statPath(path);
        return info.isFile() ? { size: info.size } : undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        // EISDIR: 'a' when only 'a/b' exists, which is no object either.
        if (isNotFound(error) || (error as NodeJS.ErrnoException).code === 'EISDIR') return;
        throw error;
      }
      // Not synced: a delete undone by a crash leaves an unreferenced object, never a broken one.
      await removeEmptyDirectories(base, dirname(path));
    },

    async makeDurable(objects) {
      const paths = objects.map(({ key }) => pathOf(key));
      const lost: string[] = [];
      await forEachLimited(objects, SYNC_CONCURRENCY, async ({ key, size }) => {
        if (!(await writeBehind.settle(pathOf(key)))) {
          lost.push(key);
          return;
        }
        try {
          const handle = await open(pathOf(key), 'r');
          try {
            await handle.sync();
            if ((await handle.stat()).size !== size) lost.push(key);
          } finally {
            await handle.close();
          }
        } catch (error) {
          if (!isNotFound(error)) throw error;
          lost.push(key);
        }
      });
      // The directories gained entries (the renamed files, and any directory made for them) up to the root.
      const dirs = new Set<string>();
      for (const path of paths) {
        for (let dir = dirname(path); dir.length >= base.length; dir = dirname(dir)) {
          dirs.add(dir);
          if (dir === base) break;
        }
      }
      await forEachLimited(
        [...dirs].sort((a, b) => b.length - a.length),
        SYNC_CONCURRENCY,
        syncFile,
      );
      return lost;
    },

    async ping() {
      // Puts go through the temporary directory: a root removed or made read-only fails here, not on a user's upload.
      await access(tempDir, constants.W_OK);
    },

    async *list(prefix) {
      checkBlobPrefix(prefix);
      const slash = prefix.lastIndexOf('/');
      yield* walk(prefix.slice(0, slash + 1), prefix.slice(slash + 1));
    },

    async collectTemporaryFiles(minAgeMs = DEFAULT_TEMP_AGE_MS) {
      const cutoff = Date.now() - minAgeMs;
      let removed = 0;
      for await (const entry of await opendir(tempDir)) {
        const path = join(tempDir, entry.name);
        const info = await lstat(path).catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        });
        if (info && info.mtimeMs <= cutoff) {
          await rm(path, { force: true, recursive: true });
          removed++;
        }
      }
      return removed;
    },

    async close() {},
  };
}

/**
 * Starts syncing objects put without durability as soon as they are in place, one at a time, so that the disk writes
 * them while more arrive and makeDurable finds little left to do. One at a time keeps the thread pool free for the
 * puts themselves. A failed sync is remembered: on Linux a later fsync may report success for data already lost.
 */
class WriteBehind {
  readonly #pending = new Map<string, Promise<void>>();
  readonly #failed = new Set<string>();
  #queue: Promise<void> = Promise.resolve();

  add(path: string): void {
    const synced = this.#queue.then(() =>
      syncFile(path).then(
        () => this.#failed.delete(path),
        // ENOENT: deleted meanwhile, which is no failure of the disk.
        (error: unknown) => void (isNotFound(error) || this.#failed.add(path)),
      ),
    );
    const done = synced.then(() => void (this.#pending.get(path) === done && this.#pending.delete(path)));
    this.#pending.set(path, done);
    this.#queue = done;
  }

  /** Waits for the path's sync, if one is under way; false when a sync of it has failed. */
  async settle(path: string): Promise<boolean> {
    await this.#pending.get(path);
    return !this.#failed.delete(path);
  }
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

function isNotFound(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Writes the body as it arrives; stops reading as soon as it is longer than `size`. */
async function writeBody(
  writer: FileWriter,
  body: ReadableStream<Uint8Array> | Uint8Array,
  size: number,
): Promise<void> {
  if (body instanceof Uint8Array) {
    await writer.write(body);
    await writer.finish();
    return;
  }
  const reader = body.getReader();
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > size) throw new BlobSizeError(size, received);
      await writer.write(value);
    }
  } catch (error) {
    // Tells the producer nobody will read the rest; rejects (ignored) if the body itself failed.
    await reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    reader.releaseLock();
  }
  if (received !== size) throw new BlobSizeError(size, received);
  await writer.finish();
}

/** Renames the temporary file to `path`; when durable, then syncs every directory whose entries changed. */
async function moveIntoPlace(tempPath: string, path: string, durable: boolean): Promise<void> {
  const dir = dirname(path);
  for (let attempt = 1; ; attempt++) {
    const created = await mkdir(dir, { recursive: true });
    try {
      await rename(tempPath, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && attempt < RENAME_ATTEMPTS) continue;
      throw error;
    }
    if (!durable) return;
    const changed = [dir];
    // mkdir returns the first directory it made: that one and those below it are new entries of their parents.
    if (created !== undefined) {
      for (let parent = dir; parent !== dirname(created);) {
        parent = dirname(parent);
        changed.push(parent);
      }
    }
    for (const changedDir of changed) await syncFile(changedDir);
    return;
  }
}

/** fsync of a file or a directory. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes `dir` and its parents up to (not including) `root` while they are empty. */
async function removeEmptyDirectories(root: string, dir: string): Promise<void> {
  for (let path = dir; path !== root; path = dirname(path)) {
    try {
      await rmdir(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw error;
    }
  }
}
