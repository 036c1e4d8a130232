import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, readlink, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import type { FsBlobStore } from '../../server/blobs/fs-blob-store.ts';
import { describeBlobStoreContract } from './blob-store-contract.ts';
import { failingStream, MiB, readAll, readRest } from './streams.ts';

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
    await store.put('object', randomBytes(2 * MiB), 2 * MiB);
    const reader = (await store.get('object'))!.getReader();
    await reader.read();
    // Only an outside hand can do this: the store itself replaces files, never truncates them.
    await writeFile(join(root, 'object'), 'short');
    await expect(readRest(reader)).rejects.toThrow(/ended at/);
  });
});
