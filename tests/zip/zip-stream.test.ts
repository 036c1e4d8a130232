/**
 * The streaming zip writer, checked by readers that owe it nothing: Python's zipfile (names, sizes, CRCs, contents,
 * testzip()) plus a walk of the local headers and data descriptors written from APPNOTE alone; where installed,
 * Info-ZIP's `unzip -t` and libarchive's bsdtar reading the archive as a stream.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createZipStream,
  zipSize,
  ZipEntryError,
  type ZipEntry,
  type ZipFile,
} from '../../web/src/lib/zip/zip-stream.ts';
import { pythonCode, runCommand } from '../run-command.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ZIP64_LIMIT = 0xffffffff;
const encoder = new TextEncoder();
const MODIFIED = new Date(2024, 4, 17, 13, 45, 31);

const workDir = mkdtempSync(join(tmpdir(), 'coffer-zip-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
let archiveCount = 0;

const HAS_UNZIP = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;
const HAS_BSDTAR = spawnSync('bsdtar', ['--version'], { stdio: 'ignore' }).status === 0;
const FREE_TMP_BYTES = (() => {
  const stats = statfsSync(tmpdir());
  return stats.bavail * stats.bsize;
})();

/** Reads the archive with zipfile, then walks it header by header as APPNOTE describes, checking what zipfile skips. */
const PY_INSPECT = String.raw`
import hashlib, json, os, struct, sys, zipfile

path, want_hashes = sys.argv[1], sys.argv[2] == '1'

def extras(data):
    fields, at = {}, 0
    while at < len(data):
        tag, size = struct.unpack_from('<HH', data, at)
        assert tag not in fields, f'extra field {tag:#x} twice'
        fields[tag] = data[at + 4:at + 4 + size]
        at += 4 + size
    assert at == len(data), 'extra fields overrun their length'
    return fields

def mtime(fields):
    flags, seconds = struct.unpack('<Bi', fields[0x5455])
    assert flags == 1
    return seconds

def u64s(data):
    return list(struct.unpack(f'<{len(data) // 8}Q', data)) if data is not None else None

with zipfile.ZipFile(path) as z, open(path, 'rb') as f:
    result = {'testzip': z.testzip(), 'entries': []}
    at = 0
    for info in z.infolist():
        assert info.header_offset == at, f'{info.filename}: local header at {info.header_offset}, not {at}'
        f.seek(at)
        sig, version, flags, method, _, _, crc, csize, usize, name_length, extra_length = struct.unpack(
            '<IHHHHHIIIHH', f.read(30))
        assert sig == 0x04034b50, f'{info.filename}: no local header'
        assert f.read(name_length).decode('utf-8') == info.filename
        local = extras(f.read(extra_length))
        at += 30 + name_length + extra_length + info.compress_size
        descriptor = 0
        if flags & 8:
            # APPNOTE 4.3.9.2: 8-byte sizes in the data descriptor if and only if the local header has ZIP64.
            descriptor = 24 if 1 in local else 16
            f.seek(at)
            dsig, dcrc, dcsize, dusize = struct.unpack('<IIQQ' if descriptor == 24 else '<IIII', f.read(descriptor))
            assert dsig == 0x08074b50, f'{info.filename}: no data descriptor'
            assert (dcrc, dcsize, dusize) == (info.CRC, info.compress_size, info.file_size), f'{info.filename}: descriptor'
            at += descriptor
        central = extras(info.extra)
        entry = {
            'name': info.filename, 'size': info.file_size, 'compressSize': info.compress_size, 'crc': info.CRC,
            'isDir': info.is_dir(), 'dateTime': list(info.date_time), 'method': info.compress_type,
            'flags': info.flag_bits, 'versionNeeded': info.extract_version, 'madeBy': [info.create_system, info.create_version],
            'externalAttr': info.external_attr, 'localVersion': version, 'localFlags': flags, 'localMethod': method,
            'localCrc': crc, 'localSizes': [csize, usize], 'localZip64': u64s(local.get(1)), 'descriptor': descriptor,
            'localMtime': mtime(local), 'centralMtime': mtime(central), 'centralZip64': u64s(central.get(1)),
        }
        if want_hashes and not info.is_dir():
            digest = hashlib.sha256()
            with z.open(info) as data:
                for block in iter(lambda: data.read(1 << 20), b''):
                    digest.update(block)
            entry['sha256'] = digest.hexdigest()
        result['entries'].append(entry)
    assert at == z.start_dir, f'central directory at {z.start_dir}, entries end at {at}'
    size = os.path.getsize(path)
    f.seek(size - 22)
    _, _, _, count, _, cd_size, cd_offset, _ = struct.unpack('<IHHHHIIH', f.read(22))
    f.seek(max(size - 22 - 20, 0))
    result['zip64End'] = f.read(4) == b'PK\x06\x07'
    result['end'] = {'count': count, 'centralSize': cd_size, 'centralOffset': cd_offset}
    result['centralOffset'] = z.start_dir
print(json.dumps(result))
`;

interface InspectedEntry {
  name: string;
  size: number;
  compressSize: number;
  crc: number;
  isDir: boolean;
  dateTime: number[];
  method: number;
  flags: number;
  versionNeeded: number;
  madeBy: number[];
  externalAttr: number;
  localVersion: number;
  localFlags: number;
  localMethod: number;
  localCrc: number;
  localSizes: number[];
  localZip64: number[] | null;
  descriptor: number;
  localMtime: number;
  centralMtime: number;
  centralZip64: number[] | null;
  sha256?: string;
}

interface Inspected {
  testzip: string | null;
  entries: InspectedEntry[];
  zip64End: boolean;
  end: { count: number; centralSize: number; centralOffset: number };
  centralOffset: number;
}

interface Written {
  file: string;
  length: number;
}

/** Streams the archive to a file as a download would, never holding it whole: writes of about 4 MiB. */
async function writeArchive(stream: ReadableStream<Uint8Array>): Promise<Written> {
  const file = join(workDir, `archive-${++archiveCount}.zip`);
  const handle = await open(file, 'w');
  let length = 0;
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  try {
    for await (const chunk of stream) {
      pending.push(chunk);
      pendingLength += chunk.length;
      length += chunk.length;
      if (pendingLength >= 4 * MiB) {
        await handle.write(Buffer.concat(pending));
        pending = [];
        pendingLength = 0;
      }
    }
    await handle.write(Buffer.concat(pending));
  } finally {
    await handle.close();
  }
  return { file, length };
}

async function inspect(file: string, hashes = true): Promise<Inspected> {
  const { status, stdout, stderr } = await pythonCode(PY_INSPECT, [file, hashes ? '1' : '0']);
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return JSON.parse(stdout.toString('utf8')) as Inspected;
}

/** What `unzip` prints with `args` before the archive's path, or undefined when unzip is not installed. */
async function unzip(args: string[], file: string, ...members: string[]): Promise<string | undefined> {
  if (!HAS_UNZIP) return undefined;
  const { status, stdout, stderr } = await runCommand('unzip', [...args, file, ...members]);
  expect(stderr).toBe('');
  expect(status).toBe(0);
  return stdout.toString('utf8');
}

/** Writes the archive of `entries`, checks it with both readers and that zipSize() foretold its length. */
async function archiveOf(entries: ZipEntry[]): Promise<Inspected> {
  const { file, length } = await writeArchive(createZipStream(entries));
  if (entries.every((entry) => !('open' in entry) || entry.size !== undefined))
    expect(zipSize(entries.map((entry) => ({ path: entry.path, size: 'open' in entry ? entry.size! : 0 })))).toBe(
      length,
    );
  const [inspected, verdict] = await Promise.all([inspect(file), unzip(['-t'], file)]);
  expect(inspected.testzip).toBeNull();
  if (verdict !== undefined) expect(verdict).toMatch(/No errors detected/);
  return inspected;
}

const PIECES = [1, 0, 7, 4093, 65_537, 3];

/** Hands out `bytes` in pieces of cycling odd sizes (an empty one among them), one per pull. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  let piece = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      const length = PIECES[piece++ % PIECES.length]!;
      controller.enqueue(bytes.slice(at, at + length));
      at += length;
    },
  });
}

function file(path: string, content: Uint8Array | string, announce = true, modified = MODIFIED): ZipFile {
  const bytes = typeof content === 'string' ? encoder.encode(content) : content;
  return {
    path,
    modified,
    ...(announce ? { size: bytes.length } : {}),
    open: () => streamOf(bytes),
  };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const unixSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

async function readAll(stream: ReadableStream<Uint8Array>): Promise<number> {
  let length = 0;
  for await (const chunk of stream) length += chunk.length;
  return length;
}

describe('the archive, as independent readers see it', () => {
  it('an empty archive is only the end of central directory record', async () => {
    const { file, length } = await writeArchive(createZipStream([]));
    expect(length).toBe(22);
    expect(zipSize([])).toBe(22);
    const inspected = await inspect(file);
    expect(inspected).toMatchObject({ testzip: null, entries: [], zip64End: false, centralOffset: 0 });
    if (HAS_UNZIP) {
      // unzip reads it but says so with exit status 1.
      const { status, stdout } = await runCommand('unzip', ['-t', file]);
      expect([status, stdout.toString('utf8')]).toEqual([1, expect.stringMatching(/zipfile is empty/)]);
    }
  });

  it('files keep their bytes, CRC, size and dates; classic headers when the size is announced', async () => {
    const contents = [encoder.encode('hello, zip\n'), new Uint8Array(randomBytes(300_000)), new Uint8Array(0)];
    const inspected = await archiveOf([
      file('hello.txt', contents[0]!),
      file('random.bin', contents[1]!),
      file('empty', contents[2]!),
    ]);
    expect(inspected.entries.map((entry) => entry.name)).toEqual(['hello.txt', 'random.bin', 'empty']);
    inspected.entries.forEach((entry, i) => {
      const content = contents[i]!;
      expect(entry).toMatchObject({
        size: content.length,
        compressSize: content.length,
        crc: zlibCrc32(content),
        sha256: sha256(content),
        isDir: false,
        method: 0,
        flags: 0x0808,
        versionNeeded: 20,
        madeBy: [3, 45],
        externalAttr: 0o100644 * 0x10000,
        localVersion: 20,
        localFlags: 0x0808,
        localMethod: 0,
        localCrc: 0,
        localSizes: [0, 0],
        localZip64: null,
        descriptor: 16,
        centralZip64: null,
        dateTime: [2024, 5, 17, 13, 45, 30],
        localMtime: unixSeconds(MODIFIED),
        centralMtime: unixSeconds(MODIFIED),
      });
    });
    expect(inspected.zip64End).toBe(false);
  });

  it('a file of unknown size gets a ZIP64 local header and an 8-byte data descriptor, the central directory none', async () => {
    const content = new Uint8Array(randomBytes(70_000));
    const entries = [file('unknown.bin', content, false), file('empty-unknown', '', false)];
    const inspected = await archiveOf(entries);
    for (const [entry, bytes] of [
      [inspected.entries[0]!, content],
      [inspected.entries[1]!, new Uint8Array(0)],
    ] as const)
      expect(entry).toMatchObject({
        size: bytes.length,
        sha256: sha256(bytes),
        crc: zlibCrc32(bytes),
        versionNeeded: 45,
        localVersion: 45,
        localSizes: [ZIP64_LIMIT, ZIP64_LIMIT],
        localZip64: [0, 0],
        descriptor: 24,
        centralZip64: null,
      });
    // zipSize() counts announced sizes, so it describes the archive of the same files with their sizes announced.
    const announced = await writeArchive(createZipStream([file('unknown.bin', content), file('empty-unknown', '')]));
    expect(
      zipSize([
        { path: 'unknown.bin', size: content.length },
        { path: 'empty-unknown', size: 0 },
      ]),
    ).toBe(announced.length);
  });

  it.skipIf(!HAS_BSDTAR)(
    'libarchive reads it as a stream: local headers and data descriptors, no central directory',
    async () => {
      const contents = ['announced\n', 'unknown size\n', '', 'ünïcödé\n'].map((text) => encoder.encode(text));
      const entries: ZipEntry[] = [
        file('announced.txt', contents[0]!),
        file('unknown.txt', contents[1]!, false),
        { path: 'folder/', modified: MODIFIED },
        file('folder/empty', contents[2]!, false),
        file('folder/ünïcödé.txt', contents[3]!),
      ];
      const chunks: Uint8Array[] = [];
      for await (const chunk of createZipStream(entries)) chunks.push(chunk);
      const archive = Buffer.concat(chunks);
      const [listing, extracted] = await Promise.all([
        runCommand('bsdtar', ['-tf', '-'], archive),
        runCommand('bsdtar', ['-xOf', '-'], archive),
      ]);
      for (const { status, stderr } of [listing, extracted]) expect([status, stderr]).toEqual([0, '']);
      expect(listing.stdout.toString('utf8').split('\n')).toEqual([...entries.map((entry) => entry.path), '']);
      expect(extracted.stdout).toEqual(Buffer.concat(contents));
    },
  );

  it('folders: their own entries, implied parents, empty ones, repeated ones written once', async () => {
    const folder = (path: string): ZipEntry => ({ path, modified: MODIFIED });
    const inspected = await archiveOf([
      folder('docs/'),
      file('docs/notes/a.txt', 'a'),
      folder('empty/'),
      folder('docs/'),
      folder('DOCS/'),
      folder('docs/notes/'),
    ]);
    expect(inspected.entries.map((entry) => [entry.name, entry.isDir])).toEqual([
      ['docs/', true],
      ['docs/notes/a.txt', false],
      ['empty/', true],
      ['docs/notes/', true],
    ]);
    for (const entry of inspected.entries.filter((entry) => entry.isDir))
      expect(entry).toMatchObject({
        size: 0,
        crc: 0,
        flags: 0x0800,
        descriptor: 0,
        externalAttr: (0o040755 * 0x10000) | 0x10,
        dateTime: [2024, 5, 17, 13, 45, 30],
      });
  });

  it('Unicode names are stored as UTF-8 with bit 11', async () => {
    const names = ['Résumé 履歴書 🎉.txt', 'Ünïcödé/ファイル.md', 'emoji 👩‍👩‍👧/ok'];
    const inspected = await archiveOf(names.map((name) => file(name, name)));
    expect(inspected.entries.map((entry) => entry.name)).toEqual(names);
    inspected.entries.forEach((entry, i) => {
      expect(entry.flags & 0x0800).toBe(0x0800);
      expect(entry.sha256).toBe(sha256(encoder.encode(names[i]!)));
    });
  });

  it('dates outside what DOS holds are clamped to 1980 and 2107; the timestamp field keeps UTC', async () => {
    const early = new Date(1975, 6, 1, 12, 0, 0);
    const late = new Date(2150, 0, 1);
    const inspected = await archiveOf([file('early', 'e', true, early), file('late', 'l', true, late)]);
    expect(inspected.entries[0]).toMatchObject({ dateTime: [1980, 1, 1, 0, 0, 0], localMtime: unixSeconds(early) });
    expect(inspected.entries[1]).toMatchObject({ dateTime: [2107, 12, 31, 23, 59, 58], localMtime: 2 ** 31 - 1 });
  });

  it('70,000 entries: the entry count takes the ZIP64 end of central directory record', async () => {
    const count = 70_000;
    // One chunk per file: a chunk costs Node's web streams ~10 µs, which the odd pieces of file() would multiply.
    const entries = Array.from({ length: count }, (_, i): ZipFile => {
      const bytes = encoder.encode(`${i}\n`);
      const open = () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes);
            controller.close();
          },
        });
      return { path: `many/${String(i).padStart(5, '0')}.txt`, modified: MODIFIED, size: bytes.length, open };
    });
    const inspected = await archiveOf(entries);
    expect(inspected.entries.map((entry) => entry.name)).toEqual(entries.map((entry) => entry.path));
    expect(inspected.zip64End).toBe(true);
    expect(inspected.end.count).toBe(0xffff);
    expect(inspected.end.centralOffset).toBe(inspected.centralOffset);
    expect(inspected.entries[69_999]).toMatchObject({
      name: 'many/69999.txt',
      sha256: sha256(encoder.encode('69999\n')),
      localZip64: null,
      centralZip64: null,
    });
  }, 120_000);

  it('zipSize() puts the ZIP64 end record exactly where the entry count reaches 0xFFFF', () => {
    const folders = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `${i}/`, size: 0 }));
    const nameLength = (n: number) => String(n - 1).length + 1;
    const perFolder = (n: number) => 30 + 46 + 2 * (nameLength(n) + 9);
    expect(zipSize(folders(0xfffe)) - zipSize(folders(0xfffd))).toBe(perFolder(0xfffe));
    expect(zipSize(folders(0xffff)) - zipSize(folders(0xfffe))).toBe(perFolder(0xffff) + 56 + 20);
  });
});

describe('past 4 GiB', () => {
  const enoughSpace = FREE_TMP_BYTES >= 10e9;
  const bigSize = 4 * GiB + MiB + 12_345;
  const pattern = new Uint8Array(randomBytes(MiB));

  /** `bigSize` bytes of the repeated pattern, made as they are read: no RAM, no disk. */
  function patternSource(): ReadableStream<Uint8Array> {
    let left = bigSize;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (left === 0) return controller.close();
        const chunk = left >= pattern.length ? pattern : pattern.subarray(0, left);
        left -= chunk.length;
        controller.enqueue(chunk);
      },
    });
  }

  it.skipIf(!enoughSpace)(
    `one ${bigSize}-byte file, then one past it whose offset needs ZIP64 (needs 10 GB free in ${tmpdir()}, which has ${Math.floor(FREE_TMP_BYTES / 1e9)} GB)`,
    async () => {
      const entries: ZipEntry[] = [
        file('before.txt', 'before'),
        { path: 'big.bin', modified: MODIFIED, size: bigSize, open: patternSource },
        file('after.txt', 'after'),
      ];
      const { file: path, length } = await writeArchive(createZipStream(entries));
      try {
        expect(zipSize(entries.map((entry) => ({ path: entry.path, size: (entry as ZipFile).size! })))).toBe(length);
        let expectedCrc = 0;
        for (let left = bigSize; left > 0; left -= Math.min(left, pattern.length))
          expectedCrc = zlibCrc32(pattern.subarray(0, Math.min(left, pattern.length)), expectedCrc);

        // testzip() reads the 4 GiB through zipfile's CRC check (the small files are not hashed on top). unzip's
        // CRC-32 runs at ~150 MB/s: it tests the small files, reaching the last one past 4 GiB, and lists the sizes.
        const [inspected, verdict, listing] = await Promise.all([
          inspect(path, false),
          unzip(['-t'], path, 'before.txt', 'after.txt'),
          unzip(['-l'], path),
        ]);
        expect(inspected.testzip).toBeNull();
        const [before, big, after] = inspected.entries;
        expect(before).toMatchObject({ versionNeeded: 20, localZip64: null, descriptor: 16, centralZip64: null });
        expect(big).toMatchObject({
          name: 'big.bin',
          size: bigSize,
          compressSize: bigSize,
          crc: expectedCrc,
          versionNeeded: 45,
          localSizes: [ZIP64_LIMIT, ZIP64_LIMIT],
          localZip64: [0, 0],
          descriptor: 24,
          centralZip64: [bigSize, bigSize],
        });
        const afterOffset = 2 * 30 + 'before.txt'.length + 'big.bin'.length + 2 * 9 + 20 + 6 + 16 + bigSize + 24;
        expect(after).toMatchObject({
          name: 'after.txt',
          versionNeeded: 45,
          localVersion: 45,
          localZip64: null,
          descriptor: 16,
          centralZip64: [afterOffset],
        });
        expect(inspected.zip64End).toBe(true);
        expect(inspected.end).toMatchObject({ count: 3, centralOffset: ZIP64_LIMIT });
        if (verdict !== undefined) expect(verdict).toMatch(/No errors detected/);
        if (listing !== undefined) expect(listing).toMatch(new RegExp(`^\\s*${bigSize}\\s.*big\\.bin$`, 'm'));
      } finally {
        rmSync(path);
      }
    },
    600_000,
  );
});

describe('names', () => {
  const refused: [string, string, RegExp][] = [
    ['an absolute path', '/etc/passwd', /absolute/],
    ['a UNC path', '\\\\server\\share\\x', /absolute/],
    ['a drive letter', 'C:\\Windows\\x', /absolute/],
    ['a drive-relative path', 'c:x', /absolute/],
    ["a leading '..'", '../x', /'\.\.'/],
    ["'..' inside", 'a/../../x', /'\.\.'/],
    ["'..' between backslashes", 'a\\..\\x', /'\.\.'/],
    ['an empty segment', 'a//b', /empty/],
    ["a '.' segment", './a', /'\.'/],
    ['an empty path', '', /empty/],
    ['a NUL', 'a\0b', /NUL/],
    ['an unpaired surrogate', 'a\ud800b', /unpaired UTF-16 surrogate/],
    ['a 65,536-byte name', 'a'.repeat(0x10000), /longer than 65535 bytes/],
  ];

  it.each(refused)('zipSize refuses %s', (_, path, why) => {
    expect(() => zipSize([{ path, size: 1 }])).toThrow(ZipEntryError);
    expect(() => zipSize([{ path, size: 1 }])).toThrow(why);
  });

  it.each(refused)('the archive stream fails on %s, after the entries before it', async (_, path, why) => {
    const stream = createZipStream([file('fine.txt', 'fine'), file(path, 'x')]);
    const error = await readAll(stream).catch((error: unknown) => error);
    expect(error).toBeInstanceOf(ZipEntryError);
    expect((error as ZipEntryError).path).toBe(path);
    expect((error as Error).message).toMatch(why);
  });

  it("refuses a folder whose path lacks the final '/', a file whose path has it", async () => {
    const folder = createZipStream([{ path: 'folder', modified: MODIFIED }]);
    await expect(readAll(folder)).rejects.toThrow(/a folder's path must end with '\/'/);
    await expect(readAll(createZipStream([file('file/', 'x')]))).rejects.toThrow(/must not end with '\/'/);
  });

  it('renames clashing names before the extension instead of overwriting', async () => {
    const folder = (path: string): ZipEntry => ({ path, modified: MODIFIED });
    const entries: ZipEntry[] = [
      file('a.txt', '1'),
      file('a.txt', '2'),
      file('A.TXT', '3'),
      file('a (2).txt', '4'),
      file('.env', '5'),
      file('.env', '6'),
      file('backup.tar.gz', '7'),
      file('backup.tar.gz', '8'),
      file('noext', '9'),
      file('noext', '10'),
      file('x', '11'),
      folder('x/'),
      file('x/y.txt', '12'),
      folder('d/'),
      file('d', '13'),
      folder('D/'),
      file('D/e.txt', '14'),
      file('café.txt', '15'),
      file('cafe\u0301.txt', '16'),
      file('sub\\file.txt', '17'),
      file('sub/file.txt', '18'),
    ];
    const inspected = await archiveOf(entries);
    expect(inspected.entries.map((entry) => entry.name)).toEqual([
      'a.txt',
      'a (2).txt',
      'A (3).TXT',
      'a (2) (2).txt',
      '.env',
      '.env (2)',
      'backup.tar.gz',
      'backup (2).tar.gz',
      'noext',
      'noext (2)',
      'x',
      'x (2)/',
      'x (2)/y.txt',
      'd/',
      'd (2)',
      'd/e.txt',
      'café.txt',
      'cafe\u0301 (2).txt',
      'sub/file.txt',
      'sub/file (2).txt',
    ]);
    const files = inspected.entries.filter((entry) => !entry.isDir);
    expect(files.map((entry) => entry.sha256)).toEqual(
      Array.from({ length: 18 }, (_, i) => sha256(encoder.encode(String(i + 1)))),
    );
  });

  it('refuses invalid sizes and dates', async () => {
    for (const size of [-1, 1.5, Number.NaN, 2 ** 53])
      expect(() => zipSize([{ path: 'f', size }])).toThrow(/invalid size/);
    const badSize = createZipStream([{ ...file('f', 'x'), size: -1 }]);
    await expect(readAll(badSize)).rejects.toThrow(/invalid size/);
    const badDate = createZipStream([file('f', 'x', true, new Date(Number.NaN))]);
    await expect(readAll(badDate)).rejects.toThrow(/invalid modification date/);
  });
});

describe('streaming', () => {
  it('reads a source only as fast as the archive is read', async () => {
    const size = 256 * MiB;
    const chunk = new Uint8Array(MiB);
    let produced = 0;
    let consumed = 0;
    let lead = 0;
    const taken: string[] = [];
    async function* entries(): AsyncGenerator<ZipEntry> {
      for (const path of ['first.bin', 'second.bin']) {
        taken.push(path);
        yield {
          path,
          modified: MODIFIED,
          size,
          open() {
            let left = size;
            return new ReadableStream<Uint8Array>({
              pull(controller) {
                if (left === 0) return controller.close();
                left -= chunk.length;
                produced += chunk.length;
                lead = Math.max(lead, produced - consumed);
                controller.enqueue(chunk);
              },
            });
          },
        };
      }
    }
    const reader = createZipStream(entries()).getReader();
    let nextPause = 8 * MiB;
    while (consumed < 32 * MiB) {
      const { value } = await reader.read();
      consumed += value!.length;
      if (consumed >= nextPause) {
        nextPause += 8 * MiB;
        // Time for a source without backpressure to run ahead.
        await sleep(20);
      }
    }
    expect(taken).toEqual(['first.bin']);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      consumed += value.length;
    }
    expect(taken).toEqual(['first.bin', 'second.bin']);
    expect(consumed).toBe(
      zipSize([
        { path: 'first.bin', size },
        { path: 'second.bin', size },
      ]),
    );
    // The chunk being handed over and the one the source keeps ready (its high water mark), headers aside.
    expect(lead).toBeLessThanOrEqual(2 * MiB + 1024);
  }, 60_000);

  it('cancelling the archive cancels the source being read, with the reason, and takes no more entries', async () => {
    let cancelledWith: unknown;
    let closed = false;
    const opened: string[] = [];
    async function* entries(): AsyncGenerator<ZipEntry> {
      try {
        for (const path of ['one', 'two']) {
          yield {
            path,
            modified: MODIFIED,
            open() {
              opened.push(path);
              return new ReadableStream<Uint8Array>({
                pull: (controller) => controller.enqueue(new Uint8Array(1000)),
                cancel: (reason) => void (cancelledWith = reason),
              });
            },
          };
        }
      } finally {
        closed = true;
      }
    }
    const reader = createZipStream(entries()).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel('user went away');
    expect(cancelledWith).toBe('user went away');
    expect(closed).toBe(true);
    expect(opened).toEqual(['one']);
  });

  it('cancelling while a read waits on a slow source cancels that source', async () => {
    let cancelledWith: unknown;
    let pulls = 0;
    const entry: ZipEntry = {
      path: 'slow',
      modified: MODIFIED,
      size: 10,
      open: () =>
        new ReadableStream<Uint8Array>(
          {
            // Never delivers: the read waits until cancelled.
            pull: () => void pulls++,
            cancel: (reason) => void (cancelledWith = reason),
          },
          { highWaterMark: 0 },
        ),
    };
    const reader = createZipStream([entry]).getReader();
    await reader.read();
    const pending = reader.read();
    await sleep(10);
    expect(pulls).toBe(1);
    await reader.cancel('stop');
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(cancelledWith).toBe('stop');
  });

  it("a source's error errors the archive, and no further entry is opened", async () => {
    const failure = new Error('decryption failed: chunk 3 was tampered with');
    const opened: string[] = [];
    const failing: ZipEntry = {
      path: 'failing.bin',
      modified: MODIFIED,
      size: 10_000,
      open() {
        opened.push('failing.bin');
        let pulls = 0;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (++pulls === 3) controller.error(failure);
            else controller.enqueue(new Uint8Array(1000));
          },
        });
      },
    };
    const next: ZipEntry = {
      ...file('next.txt', 'next'),
      open: () => {
        opened.push('next.txt');
        return streamOf(encoder.encode('next'));
      },
    };
    const chunks: Uint8Array[] = [];
    const outcome = (async () => {
      for await (const chunk of createZipStream([failing, next])) chunks.push(chunk);
    })();
    await expect(outcome).rejects.toBe(failure);
    expect(opened).toEqual(['failing.bin']);
    // The header and the 2,000 bytes read, nothing that could pass for the end of an archive.
    expect(chunks.map((chunk) => chunk.length)).toEqual([30 + 'failing.bin'.length + 9, 1000, 1000]);
  });

  it('an error from open() errors the archive', async () => {
    const failure = new Error('the file was deleted meanwhile');
    const entry: ZipEntry = { path: 'gone', modified: MODIFIED, open: () => Promise.reject(failure) };
    await expect(readAll(createZipStream([entry]))).rejects.toBe(failure);
  });

  it('a source shorter or longer than announced errors the archive; the longer one is cancelled', async () => {
    const short = createZipStream([{ ...file('short', 'abc'), size: 4 }]);
    await expect(readAll(short)).rejects.toThrow(/ended after 3 of the 4 bytes announced/);
    let cancelled = false;
    const long: ZipEntry = {
      path: 'long',
      modified: MODIFIED,
      size: 2500,
      open: () =>
        new ReadableStream<Uint8Array>({
          pull: (controller) => controller.enqueue(new Uint8Array(1000)),
          cancel: () => void (cancelled = true),
        }),
    };
    await expect(readAll(createZipStream([long]))).rejects.toThrow(/more than the 2500 bytes announced/);
    expect(cancelled).toBe(true);
  });
});
