import { describe, expect, it } from 'vitest';
import { SequentialFileReader } from '../../web/src/lib/upload/sequential-file-reader.ts';

/** Random bytes (getRandomValues fills at most 64 KiB at a time). */
function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536) {
    crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  }
  return bytes;
}

/** SHA-256 in hex: comparing megabytes with toEqual takes seconds, element by element. */
async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Expects `actual` to hold the original's bytes from `start` to `end`. */
async function expectBytes(actual: Uint8Array, start: number, end: number): Promise<void> {
  expect(actual.length).toBe(end - start);
  expect(await sha256(actual)).toBe(await sha256(original.subarray(start, end)));
}

const original = randomBytes(3 * 1024 * 1024 + 123);
const file = new Blob([original]);

describe('reading a file range by range', () => {
  it('returns consecutive ranges of every size, each with the right bytes, from one stream', async () => {
    const reader = new SequentialFileReader(file);
    // Sizes that fall across whatever pieces the browser's stream hands out, ending at the file's last byte.
    const sizes = [1, 4095, 65_537, 524_288, 1_000_000, 7, 2 * 1024 * 1024];
    let start = 0;
    for (const size of sizes) {
      const end = Math.min(original.length, start + size);
      await expectBytes(await reader.read(start, end), start, end);
      start = end;
    }
    expect(start).toBe(original.length);
    await reader.close();
  });

  it('reuses one buffer: the array a read returned is given up by the next read', async () => {
    const reader = new SequentialFileReader(file);
    const first = await reader.read(0, 1000);
    expect(first.length).toBe(1000);
    const second = await reader.read(1000, 1500);
    expect(first.byteLength).toBe(0);
    await expectBytes(second, 1000, 1500);
    await reader.close();
  });

  it('starts a new stream at a range that does not follow the last one, forwards or back', async () => {
    const reader = new SequentialFileReader(file);
    await expectBytes(await reader.read(0, 10), 0, 10);
    await expectBytes(await reader.read(2_000_000, 2_600_000), 2_000_000, 2_600_000);
    await expectBytes(await reader.read(50, 60), 50, 60);
    await expectBytes(await reader.read(60, 70_000), 60, 70_000);
    await reader.close();
  });

  it('reads an empty range of an empty file', async () => {
    const reader = new SequentialFileReader(new Blob([]));
    expect((await reader.read(0, 0)).length).toBe(0);
    await reader.close();
  });

  it('fails with where the file ended when it is shorter than the range asked for', async () => {
    const reader = new SequentialFileReader(new Blob([original.subarray(0, 5000)]));
    await expect(reader.read(0, 4000)).resolves.toHaveLength(4000);
    await expect(reader.read(4000, 6000)).rejects.toThrow(
      'the file ended at byte 5000, before byte 6000; was it changed on disk?',
    );
    await reader.close();
  });

  it('reads again after closing, from a new stream', async () => {
    const reader = new SequentialFileReader(file);
    await reader.close();
    await expectBytes(await reader.read(0, 100), 0, 100);
    await reader.close();
    await expectBytes(await reader.read(100, 200), 100, 200);
    await reader.close();
  });
});
