import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import type { FsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import { openDirect, STAGE_BYTES, StagingBuffers } from '../../server/blobs/direct-io.ts';
import { directFileStream } from '../../server/blobs/file-streams.ts';
import { describeBlobStoreContract } from './blob-store-contract.ts';
import { failingStream, manualStream, MiB, readAll, readRest, sha256, streamOf } from './streams.ts';

const roots: string[] = [];
async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'coffer-blobs-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

const tempFiles = (root: string) => readdir(join(root, '.tmp'));

let contractRoot = '';
describeBlobStoreContract('fs', {
  async open() {
    contractRoot = await newRoot();
    return createFsBlobStore(contractRoot);
  },
  async expectNoLeftovers() {
    expect(await tempFiles(contractRoot)).toEqual([]);
  },
});

let bufferedRoot = '';
describeBlobStoreContract('fs, buffered writes', {
  async open() {
    bufferedRoot = await newRoot();
    return createFsBlobStore(bufferedRoot, { buffered: true });
  },
  async expectNoLeftovers() {
    expect(await tempFiles(bufferedRoot)).toEqual([]);
  },
});

/** The open flags of this process's files under `dir`, from /proc/self/fdinfo. */
async function openFileFlags(dir: string): Promise<number[]> {
  const flags: number[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (!target.startsWith(dir + '/')) continue;
    const info = await readFile(`/proc/self/fdinfo/${fd}`, 'utf8');
    flags.push(parseInt(/^flags:\s*([0-7]+)$/m.exec(info)![1]!, 8));
  }
  return flags;
}

/** The open flags of the temporary files being written. */
const temporaryFileFlags = (root: string) => openFileFlags(join(root, '.tmp'));

describe.runIf(process.platform === 'linux')('fs blob store: direct writes', () => {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT!;

  it('writes straight to the disk (O_DIRECT) where the filesystem takes it, and through the page cache when told', async () => {
    for (const buffered of [false, true]) {
      const root = await newRoot();
      const store = await createFsBlobStore(root, { buffered });
      // The test's temporary directory is on a disk filesystem (ext4 on the machines this runs on).
      expect(store.directIo).toBe(!buffered);
      const body = manualStream();
      const put = store.put('object', body.stream, 3 * MiB);
      await body.push([randomBytes(2 * MiB)]);
      const flags = await temporaryFileFlags(root);
      expect(flags).toHaveLength(1);
      expect(flags[0]! & O_DIRECT).toBe(buffered ? 0 : O_DIRECT);
      await body.push([randomBytes(MiB)]);
      body.end();
      await put;
      expect(await store.stat('object')).toEqual({ size: 3 * MiB });
    }
  });

  // Direct writes go in whole 4 KiB blocks from 512 KiB staging buffers: sizes on and around both edges.
  const sizes = [0, 1, 4095, 4096, 4097, STAGE_BYTES - 1, STAGE_BYTES, STAGE_BYTES + 1, 2 * STAGE_BYTES + 4097];
  it.each([false, true])(
    'stores every size around the block and buffer edges whole (buffered: %s)',
    async (buffered) => {
      const store = await createFsBlobStore(await newRoot(), { buffered });
      for (const size of sizes) {
        const bytes = randomBytes(size);
        await store.put(`streamed/${size}`, streamOf(bytes), size);
        await store.put(`whole/${size}`, new Uint8Array(bytes), size);
        for (const way of ['streamed', 'whole']) {
          expect(await store.stat(`${way}/${size}`)).toEqual({ size });
          expect(sha256(await readAll((await store.get(`${way}/${size}`))!))).toBe(sha256(bytes));
        }
      }
      expect(await tempFiles(store.root)).toEqual([]);
    },
  );

  it('writes more puts at once than it has staging buffers for, the rest through the page cache', async () => {
    const root = await newRoot();
    const store = await createFsBlobStore(root);
    const bodies = Array.from({ length: 12 }, () => manualStream());
    const contents = bodies.map(() => randomBytes(STAGE_BYTES + 5000));
    const puts = bodies.map((body, index) => store.put(`object/${index}`, body.stream, contents[index]!.byteLength));
    await Promise.all(bodies.map((body, index) => body.push([contents[index]!.subarray(0, 5000)])));
    const flags = await temporaryFileFlags(root);
    expect(flags).toHaveLength(12);
    // Sixteen staging buffers, two per put.
    expect(flags.filter((flag) => flag & O_DIRECT)).toHaveLength(8);
    await Promise.all(bodies.map((body, index) => body.push([contents[index]!.subarray(5000)])));
    bodies.forEach((body) => body.end());
    await Promise.all(puts);
    for (const [index, content] of contents.entries()) {
      expect(sha256(await readAll((await store.get(`object/${index}`))!))).toBe(sha256(content));
    }
    // The buffers came back: a put after them writes direct again.
    const body = manualStream();
    const put = store.put('after', body.stream, 1);
    await body.push([new Uint8Array(0)]);
    expect((await temporaryFileFlags(root)).map((flag) => flag & O_DIRECT)).toEqual([O_DIRECT]);
    await body.push([new Uint8Array(1)]);
    body.end();
    await put;
  });

  it('waits for the write under way before closing the file when the body fails, and leaves nothing behind', async () => {
    const root = await newRoot();
    const store = await createFsBlobStore(root);
    const failure = new Error('the client went away');
    const put = store.put('object', failingStream(randomBytes(4 * MiB), 2 * STAGE_BYTES + 100, failure), 4 * MiB);
    await expect(put).rejects.toBe(failure);
    expect(await tempFiles(root)).toEqual([]);
    expect(await readdir(root)).toEqual(['.tmp']);
    // Every staging buffer is free again.
    const bodies = Array.from({ length: 8 }, () => manualStream());
    const puts = bodies.map((body, index) => store.put(`next/${index}`, body.stream, 1));
    await Promise.all(bodies.map((body) => body.push([new Uint8Array(0)])));
    expect((await temporaryFileFlags(root)).filter((flag) => flag & O_DIRECT)).toHaveLength(8);
    await Promise.all(bodies.map((body) => body.push([new Uint8Array(1)])));
    bodies.forEach((body) => body.end());
    await Promise.all(puts);
  });
});

describe.runIf(process.platform === 'linux')('fs blob store: direct reads', () => {
  const O_DIRECT = (constants as { O_DIRECT?: number }).O_DIRECT!;
  const size = 2 * STAGE_BYTES + 4097;

  it('reads straight from the disk (O_DIRECT) where the filesystem takes it, and through the page cache when told', async () => {
    for (const buffered of [false, true]) {
      const root = await newRoot();
      const store = await createFsBlobStore(root, { buffered });
      const bytes = randomBytes(size);
      await store.put('objects/one', bytes, size);
      const reader = (await store.get('objects/one'))!.getReader();
      const first = await reader.read();
      const flags = await openFileFlags(join(root, 'objects'));
      expect(flags).toHaveLength(1);
      expect(flags[0]! & O_DIRECT).toBe(buffered ? 0 : O_DIRECT);
      const rest = await readRest(reader);
      expect(sha256(Buffer.concat([first.value!, rest]))).toBe(sha256(bytes));
      expect(await openFileFlags(join(root, 'objects'))).toEqual([]);
    }
  });

  it('reads every range around the block and buffer edges', async () => {
    const store = await createFsBlobStore(await newRoot());
    const bytes = randomBytes(size);
    await store.put('object', bytes, size);
    const edges = [0, 1, 4095, 4096, 4097, STAGE_BYTES - 1, STAGE_BYTES, STAGE_BYTES + 1, 2 * STAGE_BYTES, size - 1];
    for (const start of edges) {
      for (const end of [start + 1, start + 4096, start + STAGE_BYTES, size]) {
        if (end > size) continue;
        const read = await readAll((await store.get('object', { start, end }))!);
        expect(read.byteLength).toBe(end - start);
        expect(read.equals(bytes.subarray(start, end))).toBe(true);
      }
    }
  });

  it('fails, rather than skip bytes, when the file is shorter than the range it is asked for', async () => {
    const path = join(await newRoot(), 'short');
    await writeFile(path, randomBytes(1000));
    const staging = new StagingBuffers(2);
    const buffers = staging.take()!;
    const stream = directFileStream(await openDirect(path), 0, 2 * STAGE_BYTES, buffers, () => staging.give(buffers));
    // The first read comes back short at the file's end, the second empty, at 512 KiB.
    await expect(readAll(stream)).rejects.toThrow(`blob file ended at 1000 bytes, ${2 * STAGE_BYTES} were expected`);
    expect(staging.take()).toBeDefined();
  });

  it('gives its buffers back when a read is cancelled, so the next reads are direct too', async () => {
    const root = await newRoot();
    const store = await createFsBlobStore(root);
    await store.put('objects/one', randomBytes(size), size);
    const directReads = async () => {
      const readers = await Promise.all(
        Array.from({ length: 8 }, async () => (await store.get('objects/one'))!.getReader()),
      );
      await Promise.all(readers.map((reader) => reader.read()));
      const flags = await openFileFlags(join(root, 'objects'));
      await Promise.all(readers.map((reader) => reader.cancel()));
      return flags.filter((flag) => flag & O_DIRECT).length;
    };
    // Sixteen staging buffers, two per read.
    expect(await directReads()).toBe(8);
    expect(await directReads()).toBe(8);
    expect(await openFileFlags(join(root, 'objects'))).toEqual([]);
  });
});

describe('fs blob store', () => {
  let root: string;
  let store: FsBlobStore;
  beforeEach(async () => {
    root = await newRoot();
    store = await createFsBlobStore(root);
  });
  afterEach(async () => {
    await store.close();
  });

  it('stores key a/b/c as the file <root>/a/b/c, which a new store over the same root finds', async () => {
    await store.put('a/b/c', new Uint8Array([1, 2, 3]), 3);
    expect(await readFile(join(root, 'a/b/c'))).toEqual(Buffer.from([1, 2, 3]));
    const reopened = await createFsBlobStore(root);
    expect(await reopened.stat('a/b/c')).toEqual({ size: 3 });
  });

  it('reports, from makeDurable, objects that are missing or not at their size', async () => {
    await store.put('r/1', new Uint8Array(10), 10, { durable: false });
    await store.put('r/2', new Uint8Array(10), 10, { durable: false });
    await writeFile(join(root, 'r/2'), new Uint8Array(4));
    const lost = await store.makeDurable([
      { key: 'r/1', size: 10 },
      { key: 'r/2', size: 10 },
      { key: 'r/3', size: 10 },
    ]);
    expect(lost.sort()).toEqual(['r/2', 'r/3']);
  });

  it('removes the directories that deleting an object leaves empty', async () => {
    await store.put('a/b/c', new Uint8Array(1), 1);
    await store.put('a/d', new Uint8Array(1), 1);
    await store.delete('a/b/c');
    expect((await readdir(root)).sort()).toEqual(['.tmp', 'a']);
    expect(await readdir(join(root, 'a'))).toEqual(['d']);
    await store.delete('a/d');
    expect(await readdir(root)).toEqual(['.tmp']);
    await store.put('a/b/c', new Uint8Array(1), 1);
    expect(await store.stat('a/b/c')).toEqual({ size: 1 });
  });

  it('leaves no temporary file when the body fails midway', async () => {
    const failure = new Error('the client went away');
    const put = store.put('object', failingStream(randomBytes(4 * MiB), 2 * MiB, failure), 4 * MiB);
    await expect(put).rejects.toBe(failure);
    expect(await tempFiles(root)).toEqual([]);
    expect(await readdir(root)).toEqual(['.tmp']);
  });

  it('collects temporary files older than the given age, and only those', async () => {
    const hoursAgo = (hours: number) => new Date(Date.now() - hours * 3600_000);
    for (const [name, hours] of [
      ['crashed-long-ago', 3],
      ['crashed-earlier', 1.5],
      ['being-written', 0],
    ] as const) {
      await writeFile(join(root, '.tmp', name), 'partial');
      await utimes(join(root, '.tmp', name), hoursAgo(hours), hoursAgo(hours));
    }
    expect(await store.collectTemporaryFiles(2 * 3600_000)).toBe(1);
    expect((await tempFiles(root)).sort()).toEqual(['being-written', 'crashed-earlier']);
    // The default age is one hour.
    expect(await store.collectTemporaryFiles()).toBe(1);
    expect(await tempFiles(root)).toEqual(['being-written']);
    expect(await store.collectTemporaryFiles(0)).toBe(1);
    expect(await tempFiles(root)).toEqual([]);
  });

  it('does not list the temporary directory or files that are not keys', async () => {
    await store.put('object', new Uint8Array(1), 1);
    await writeFile(join(root, '.tmp', 'partial'), 'x');
    await writeFile(join(root, 'Not-A-Key'), 'x');
    const keys: string[] = [];
    for await (const key of store.list('')) keys.push(key);
    expect(keys).toEqual(['object']);
  });

  it("cannot hold both 'a' and 'a/b', and says so without harming either", async () => {
    await store.put('file', new Uint8Array([1]), 1);
    await expect(store.put('file/below', new Uint8Array([2]), 1)).rejects.toThrow();
    await store.put('dir/below', new Uint8Array([3]), 1);
    await expect(store.put('dir', new Uint8Array([4]), 1)).rejects.toThrow();
    expect(await readAll((await store.get('file'))!)).toEqual(Buffer.from([1]));
    expect(await readAll((await store.get('dir/below'))!)).toEqual(Buffer.from([3]));
    // 'dir' is a directory, not an object; 'file/below' cannot exist.
    expect(await store.get('dir')).toBeUndefined();
    expect(await store.stat('dir')).toBeUndefined();
    await store.delete('dir');
    expect(await store.get('file/below')).toBeUndefined();
    expect(await store.stat('file/below')).toBeUndefined();
    await store.delete('file/below');
    expect(await tempFiles(root)).toEqual([]);
  });

  it('closes the file when a read ends, is cancelled or asks for a range outside the object', async () => {
    const path = join(root, 'object');
    const openCount = async () => {
      const fds = await readdir('/proc/self/fd');
      const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
      return targets.filter((target) => target === path).length;
    };
    await store.put('object', randomBytes(2 * MiB), 2 * MiB);

    await readAll((await store.get('object'))!);
    expect(await openCount()).toBe(0);
    await readAll((await store.get('object', { start: 5, end: 10 }))!);
    expect(await openCount()).toBe(0);

    const reader = (await store.get('object'))!.getReader();
    await reader.read();
    expect(await openCount()).toBe(1);
    await reader.cancel();
    expect(await openCount()).toBe(0);

    await expect(store.get('object', { start: 0, end: 2 * MiB + 1 })).rejects.toThrow(RangeError);
    expect(await openCount()).toBe(0);
  });

  it('fails a read, and closes the file, when the file is shorter than it was at open', async () => {
    // Direct reads run one staging buffer (512 KiB) ahead of the one being handed out: the cut falls past both.
    await store.put('object', randomBytes(4 * MiB), 4 * MiB);
    const reader = (await store.get('object'))!.getReader();
    await reader.read();
    // Only an outside hand can do this: the store itself replaces files, never truncates them.
    await writeFile(join(root, 'object'), 'short');
    await expect(readRest(reader)).rejects.toThrow(/ended at/);
  });
});
