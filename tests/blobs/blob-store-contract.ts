/**
 * What every BlobStore driver must do, as one suite that each driver's test file runs against its own backend. The
 * suite shares one store between its tests and keeps each test under its own key prefix.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BlobSizeError, deletePrefix } from '../../server/blobs/blob-store.ts';
import type { BlobStore } from '../../server/blobs/blob-store.ts';
import { readSlowly } from './memory-probe.ts';
import { failingStream, generatedStream, manualStream, MiB, readAll, readRest, sha256, streamOf } from './streams.ts';

/** Several MiB, and on S3 still a single PutObject: the S3 suite sets its multipart threshold above this. */
export const MEDIUM_SIZE = 3 * MiB + 12_345;
/** On S3 a multipart upload of three parts (5 + 5 + 3 MiB) in the S3 suite. */
export const LARGE_SIZE = 13 * MiB + 777;
const SLOW_READ_SIZE = 64 * MiB;
const SLOW_READ_LIMIT = 32 * MiB;

export interface BlobStoreHarness {
  /**
   * Opens the store the suite uses, over storage with nothing under 'case-'. An S3 store must have its multipart
   * threshold between MEDIUM_SIZE and LARGE_SIZE, and a small list page size so that listing takes several pages.
   */
  open(): Promise<BlobStore>;
  /** Fails if storage holds anything under `prefix` but complete objects: temporary files, unfinished uploads. */
  expectNoLeftovers(prefix: string): Promise<void>;
}

const INVALID_KEYS = ['../x', '/x', 'a//b', 'A', '', 'x/', 'x/..', './x', 'a/.b', 'a b', 'é', 'x'.repeat(513)];

export function describeBlobStoreContract(driver: string, harness: BlobStoreHarness): void {
  describe(`${driver} blob store contract`, () => {
    let store: BlobStore;
    let cases = 0;
    /** This test's own key prefix. */
    let base = '';
    const key = (relative: string) => base + relative;

    beforeAll(async () => {
      store = await harness.open();
    });
    afterAll(async () => {
      await store?.close();
    });
    beforeEach(() => {
      base = `case-${++cases}/`;
    });

    async function contentOf(objectKey: string): Promise<Buffer | undefined> {
      const stream = await store.get(objectKey);
      return stream && readAll(stream);
    }

    async function listed(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      for await (const listedKey of store.list(prefix)) keys.push(listedKey);
      return keys.sort();
    }

    async function expectAbsent(objectKey: string): Promise<void> {
      expect(await store.stat(objectKey)).toBeUndefined();
      expect(await store.get(objectKey)).toBeUndefined();
    }

    describe('put, get and stat', () => {
      it.each([
        { what: '0 bytes', size: 0, asStream: false },
        { what: '0 bytes as a stream', size: 0, asStream: true },
        { what: '1 byte', size: 1, asStream: false },
        { what: '1 byte as a stream', size: 1, asStream: true },
        { what: 'several MiB', size: MEDIUM_SIZE, asStream: false },
        { what: 'several MiB as a stream in odd pieces', size: MEDIUM_SIZE, asStream: true },
        { what: 'a large object (multipart on S3)', size: LARGE_SIZE, asStream: false },
        { what: 'a large object as a stream in odd pieces', size: LARGE_SIZE, asStream: true },
      ])('round-trips $what', async ({ size, asStream }) => {
        const bytes = randomBytes(size);
        await store.put(key('object'), asStream ? streamOf(bytes) : bytes, size);
        expect(await store.stat(key('object'))).toEqual({ size });
        const content = await contentOf(key('object'));
        expect(content?.byteLength).toBe(size);
        expect(sha256(content!)).toBe(sha256(bytes));
        await harness.expectNoLeftovers(base);
      });

      it('overwrites an object, with a shorter then a longer one', async () => {
        for (const size of [1000, 10, MEDIUM_SIZE]) {
          const bytes = randomBytes(size);
          await store.put(key('object'), bytes, size);
          expect(await store.stat(key('object'))).toEqual({ size });
          expect((await contentOf(key('object')))?.equals(bytes)).toBe(true);
        }
      });

      it('puts to different keys concurrently', async () => {
        const bodies = Array.from({ length: 8 }, (_, index) => randomBytes(300_000 + index * 1001));
        await Promise.all(
          bodies.map((bytes, index) =>
            store.put(key(`object-${index}`), index % 2 ? streamOf(bytes) : bytes, bytes.byteLength),
          ),
        );
        const contents = await Promise.all(bodies.map((_, index) => contentOf(key(`object-${index}`))));
        contents.forEach((content, index) => expect(content?.equals(bodies[index]!)).toBe(true));
      });

      it('does not show an object before its put completes', async () => {
        const bytes = randomBytes(LARGE_SIZE);
        const body = manualStream();
        const put = store.put(key('object'), body.stream, LARGE_SIZE);
        // 11 MiB in pieces of 1 MiB: once the store has taken them all, S3 has uploaded at least one part.
        const pieces = Array.from({ length: 11 }, (_, index) => bytes.subarray(index * MiB, (index + 1) * MiB));
        await body.push(pieces);
        await expectAbsent(key('object'));
        expect(await listed(base)).toEqual([]);
        void body.push([bytes.subarray(11 * MiB)]);
        body.end();
        await put;
        expect(sha256((await contentOf(key('object')))!)).toBe(sha256(bytes));
      });

      it('lets a reader that started before an overwrite finish reading the old object', async () => {
        const before = randomBytes(LARGE_SIZE);
        const after = randomBytes(LARGE_SIZE);
        await store.put(key('object'), before, LARGE_SIZE);
        const reader = (await store.get(key('object')))!.getReader();
        const first = await reader.read();
        await store.put(key('object'), after, LARGE_SIZE);
        const rest = await readRest(reader);
        expect(sha256(Buffer.concat([first.value!, rest]))).toBe(sha256(before));
        expect(sha256((await contentOf(key('object')))!)).toBe(sha256(after));
      });
    });

    describe('durability deferred to makeDurable', () => {
      it('stores objects put with durable: false whole, and makes them durable together', async () => {
        const objects = [1, 2, 3].map((n) => ({ key: key(`deferred/${n}`), bytes: randomBytes(1000 * n) }));
        for (const { key: objectKey, bytes } of objects) {
          await store.put(objectKey, bytes, bytes.length, { durable: false });
        }
        expect(await store.makeDurable(objects.map((o) => ({ key: o.key, size: o.bytes.length })))).toEqual([]);
        for (const { key: objectKey, bytes } of objects) expect(await contentOf(objectKey)).toEqual(Buffer.from(bytes));
      });
    });

    describe('body of the wrong length', () => {
      const mismatches = [
        { what: 'one byte short', declared: 1000, actual: 999 },
        { what: 'one byte long', declared: 1000, actual: 1001 },
        { what: 'empty, 1 byte declared', declared: 1, actual: 0 },
        { what: '1 byte, 0 declared', declared: 0, actual: 1 },
        { what: 'large, one byte short', declared: LARGE_SIZE, actual: LARGE_SIZE - 1 },
        { what: 'large, one byte long', declared: LARGE_SIZE, actual: LARGE_SIZE + 1 },
        { what: 'large, ending in the first part', declared: LARGE_SIZE, actual: MEDIUM_SIZE },
        { what: 'large declared, far longer', declared: LARGE_SIZE, actual: 2 * LARGE_SIZE },
        { what: 'small declared, large body', declared: 1000, actual: LARGE_SIZE },
      ];
      it.each(mismatches.flatMap((m) => [false, true].map((asStream) => ({ ...m, asStream }))))(
        'rejects $what (stream: $asStream) with BlobSizeError and stores nothing',
        async ({ declared, actual, asStream }) => {
          const bytes = randomBytes(actual);
          const error = await store.put(key('object'), asStream ? streamOf(bytes) : bytes, declared).catch((e) => e);
          expect(error).toBeInstanceOf(BlobSizeError);
          expect(error.expected).toBe(declared);
          // A body that is too long is not read to its end: `received` is where the store stopped.
          if (actual < declared) expect(error.received).toBe(actual);
          else expect(error.received).toBeGreaterThan(declared);
          await expectAbsent(key('object'));
          expect(await listed(base)).toEqual([]);
          await harness.expectNoLeftovers(base);
        },
      );

      it('keeps the previous object when an overwrite has the wrong length', async () => {
        const previous = randomBytes(1000);
        await store.put(key('object'), previous, 1000);
        for (const size of [999, LARGE_SIZE - 1]) {
          await expect(store.put(key('object'), streamOf(randomBytes(size)), size + 1)).rejects.toThrow(BlobSizeError);
        }
        expect((await contentOf(key('object')))?.equals(previous)).toBe(true);
        await harness.expectNoLeftovers(base);
      });

      it('rejects a size that is not a byte count', async () => {
        for (const size of [-1, 1.5, Number.NaN]) {
          await expect(store.put(key('object'), new Uint8Array(0), size)).rejects.toThrow(RangeError);
        }
        await expectAbsent(key('object'));
      });
    });

    describe('body that fails midway', () => {
      it.each([
        { what: 'a small object', size: MEDIUM_SIZE, failAfter: MiB },
        { what: 'a large object, after the first part', size: LARGE_SIZE, failAfter: 6 * MiB },
      ])('stores nothing of $what and keeps the previous object', async ({ size, failAfter }) => {
        const previous = randomBytes(10);
        await store.put(key('object'), previous, 10);
        const failure = new Error('the client went away');
        await expect(store.put(key('object'), failingStream(randomBytes(size), failAfter, failure), size)).rejects.toBe(
          failure,
        );
        expect((await contentOf(key('object')))?.equals(previous)).toBe(true);
        await store
          .put(key('other'), failingStream(randomBytes(size), failAfter, failure), size)
          .catch(() => undefined);
        await expectAbsent(key('other'));
        await harness.expectNoLeftovers(base);
      });
    });

    describe('ranges', () => {
      it.each([1000, MEDIUM_SIZE])('reads ranges of an object of %i bytes', async (size) => {
        const bytes = randomBytes(size);
        await store.put(key('object'), bytes, size);
        const ranges = [
          { start: 0, end: 1 },
          { start: size - 1, end: size },
          { start: 100, end: size - 100 },
          { start: 0, end: size },
          { start: 7, end: 7 },
          { start: size, end: size },
        ];
        // Across the edges of the fs driver's 256 KiB reads.
        if (size > MiB) ranges.push({ start: 262_143, end: 262_145 }, { start: 262_144, end: 3 * 262_144 + 1 });
        for (const range of ranges) {
          const content = await readAll((await store.get(key('object'), range))!);
          expect(content.equals(bytes.subarray(range.start, range.end)), `${range.start}-${range.end}`).toBe(true);
        }
      });

      it('rejects ranges outside the object with RangeError', async () => {
        await store.put(key('object'), randomBytes(1000), 1000);
        await store.put(key('empty'), new Uint8Array(0), 0);
        const outside: [string, number, number][] = [
          ['object', 0, 1001],
          ['object', 999, 1001],
          ['object', 1000, 1001],
          ['object', 1001, 1001],
          ['object', 5000, 6000],
          ['object', -1, 10],
          ['object', 10, 9],
          ['object', 0.5, 10],
          ['object', 0, Number.POSITIVE_INFINITY],
          ['empty', 0, 1],
          ['empty', 1, 1],
        ];
        for (const [name, start, end] of outside) {
          await expect(store.get(key(name), { start, end }), `${name} ${start}-${end}`).rejects.toThrow(RangeError);
        }
        expect(await readAll((await store.get(key('empty'), { start: 0, end: 0 }))!)).toHaveLength(0);
      });

      it('returns undefined for a range of a missing object', async () => {
        expect(await store.get(key('missing'), { start: 0, end: 1 })).toBeUndefined();
        expect(await store.get(key('missing'), { start: 0, end: 0 })).toBeUndefined();
      });
    });

    describe('missing objects and delete', () => {
      it('gets, stats and deletes a missing key without error', async () => {
        await expectAbsent(key('missing'));
        await store.delete(key('missing'));
      });

      it('deletes an object, and deleting it again is no error', async () => {
        await store.put(key('object'), randomBytes(100), 100);
        await store.put(key('kept'), randomBytes(100), 100);
        await store.delete(key('object'));
        await expectAbsent(key('object'));
        await store.delete(key('object'));
        expect(await store.stat(key('kept'))).toEqual({ size: 100 });
      });
    });

    describe('list', () => {
      const names = ['p/a', 'p/b/c', 'p/b/d/e', 'p/bc', 'p/b.x', 'q/x', 'pq'];

      it('lists the keys under a prefix, at any depth, and only those', async () => {
        for (const name of names) await store.put(key(name), new Uint8Array([1]), 1);
        const under = (prefix: string) =>
          names
            .filter((name) => name.startsWith(prefix))
            .map(key)
            .sort();
        for (const prefix of ['', 'p', 'p/', 'p/b', 'p/b/', 'p/b/d/e', 'q/', 'z', 'p/z/']) {
          expect(await listed(key(prefix)), prefix).toEqual(under(prefix));
        }
        expect(await listed('')).toEqual(expect.arrayContaining(under('')));
      });

      it('lists every key once over several pages', async () => {
        const many = Array.from({ length: 9 }, (_, index) => key(`page/k${index}`)).sort();
        await Promise.all(many.map((name) => store.put(name, new Uint8Array(0), 0)));
        expect(await listed(key('page/'))).toEqual(many);
      });

      it('deletes a prefix while listing it (deletePrefix)', async () => {
        for (const name of names) await store.put(key(name), new Uint8Array([1]), 1);
        expect(await deletePrefix(store, key('p/'))).toBe(5);
        expect(await listed(base)).toEqual([key('pq'), key('q/x')]);
        expect(await store.stat(key('q/x'))).toEqual({ size: 1 });
      });

      it('rejects a prefix that no key can start with', async () => {
        for (const prefix of ['../', '/', 'A', 'a//', './', 'a b']) {
          await expect(listed(prefix), prefix).rejects.toThrow(TypeError);
        }
      });
    });

    it('rejects invalid keys in every operation', async () => {
      for (const invalid of INVALID_KEYS) {
        await expect(store.put(invalid, new Uint8Array(1), 1), invalid).rejects.toThrow(TypeError);
        await expect(store.put(invalid, streamOf(new Uint8Array(1)), 1), invalid).rejects.toThrow(TypeError);
        await expect(store.get(invalid), invalid).rejects.toThrow(TypeError);
        await expect(store.get(invalid, { start: 0, end: 1 }), invalid).rejects.toThrow(TypeError);
        await expect(store.stat(invalid), invalid).rejects.toThrow(TypeError);
        await expect(store.delete(invalid), invalid).rejects.toThrow(TypeError);
      }
    });

    describe('streaming reads', () => {
      it('stops reading when the consumer cancels', async () => {
        const bytes = randomBytes(LARGE_SIZE);
        await store.put(key('object'), bytes, LARGE_SIZE);
        const reader = (await store.get(key('object')))!.getReader();
        expect((await reader.read()).value?.byteLength).toBeGreaterThan(0);
        await reader.cancel();
        expect(sha256((await contentOf(key('object')))!)).toBe(sha256(bytes));
      });

      it(`holds little memory while a slow consumer reads ${SLOW_READ_SIZE / MiB} MiB`, async () => {
        const body = generatedStream(SLOW_READ_SIZE);
        await store.put(key('object'), body.stream, SLOW_READ_SIZE);
        const read = await readSlowly(async () => (await store.get(key('object')))!);
        expect(read.bytes).toBe(SLOW_READ_SIZE);
        expect(read.digest).toBe(body.digest());
        expect(read.peakGrowth).toBeLessThan(SLOW_READ_LIMIT);

        // The probe itself must notice a stream that buffers: tee() keeps every chunk for the branch nobody reads.
        let unread: ReadableStream<Uint8Array> | undefined;
        const buffered = await readSlowly(async () => {
          const [slow, kept] = (await store.get(key('object')))!.tee();
          unread = kept;
          return slow;
        });
        await unread?.cancel();
        expect(buffered.peakGrowth).toBeGreaterThan(SLOW_READ_LIMIT);
      });
    });
  });
}
