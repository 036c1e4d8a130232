/**
 * The encrypted export archive (docs/FORMAT.md section 7), as `coffer export open` reads it from a file anyone may have
 * handled: the zip (cli/export/zip-reader.ts), the manifest token and what it decrypts to, and every entry the manifest
 * vouches for. A manifest opens to what was sealed; any other bytes, and the vector archive with any entry altered in
 * any way, are refused with EXPORT_INVALID or EXPORT_LOCKED, never another error (threat model rows 1, 7 and 8).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openZipArchive } from '../../cli/export/zip-reader.ts';
import { utf8 } from '../../shared/crypto/bytes.ts';
import {
  collect,
  decodeBase64url,
  encodeBase64url,
  encryptTokenText,
  exportManifestKey,
  generateKey,
  importFernetKey,
  openExportArchive,
  openManifest,
  sealManifest,
  type ArchiveReader,
  type CryptoErrorCode,
  type ExportManifest,
  type TreeWriter,
} from '../../shared/crypto/index.ts';
import vectors from '../vectors/coffer.json';
import { anyBytes, anyText, FEW, MANY, mutationOf, refuses, returnsOrRefuses } from './arbitraries.ts';

const REFUSED: CryptoErrorCode[] = ['EXPORT_INVALID', 'EXPORT_LOCKED'];
const [vector] = vectors.exportArchive;
const archive = decodeBase64url(vector!.archive);
const userId = vector!.userId;
const manifestKey = decodeBase64url(vector!.manifestKey);
const dir = mkdtempSync(join(tmpdir(), 'coffer-fuzz-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Writes `bytes` where openZipArchive reads it: a new file per run, so that no run sees another's bytes. */
function zipFile(bytes: Uint8Array): string {
  const path = join(dir, `${files++}.zip`);
  writeFileSync(path, bytes);
  return path;
}

async function entriesOf(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const reader = await openZipArchive(zipFile(bytes));
  try {
    const entries = new Map<string, Uint8Array>();
    for (const name of reader.names) entries.set(name, await reader.bytes(name));
    return entries;
  } finally {
    await reader.close();
  }
}

function memoryReader(entries: Map<string, Uint8Array>): ArchiveReader {
  const get = (name: string) => entries.get(name)!;
  return {
    names: [...entries.keys()],
    size: (name) => get(name).length,
    bytes: async (name) => get(name),
    stream: (name) =>
      new ReadableStream({
        type: 'bytes',
        start(controller) {
          if (get(name).length > 0) controller.enqueue(get(name).slice());
          controller.close();
        },
      }),
    sha256: async (name) => createHash('sha256').update(get(name)).digest('hex'),
  };
}

/** Reads every file to its end, where a stream that does not authenticate fails. */
const drainingWriter: TreeWriter = {
  folder: async () => undefined,
  file: async (_path, content) => void (await collect(content)),
};

const anyManifest = fc.record({
  version: fc.constant(1 as const),
  userId: fc.constant(userId),
  createdAt: fc.maxSafeNat(),
  entries: fc.array(
    fc.record({
      name: fc.string({ maxLength: 40 }),
      size: fc.maxSafeNat(),
      sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
    }),
    { maxLength: 5 },
  ),
});

describe('the export manifest, property-tested', () => {
  it('opens to the manifest that was sealed, for any entries', async () => {
    await fc.assert(
      fc.asyncProperty(anyManifest, async (manifest: ExportManifest) => {
        expect(await openManifest(manifestKey, await sealManifest(manifestKey, manifest), userId)).toEqual(manifest);
      }),
      FEW,
    );
  });

  it('refuses any text, a sealed manifest altered in any way, or one under another key, with EXPORT_INVALID', async () => {
    const sealed = await sealManifest(manifestKey, { version: 1, userId, createdAt: 0, entries: [] });
    const otherKey = await exportManifestKey(generateKey());
    const texts = fc.oneof(
      anyText,
      mutationOf(decodeBase64url(sealed)).map((bytes) => encodeBase64url(bytes)),
    );
    await fc.assert(
      fc.asyncProperty(texts, async (text) => {
        await refuses(() => openManifest(manifestKey, text, userId), ['EXPORT_INVALID']);
      }),
      MANY,
    );
    await refuses(() => openManifest(otherKey, sealed, userId), ['EXPORT_INVALID']);
  });

  it('opens an authentic token only when it holds a well-formed manifest of this account', async () => {
    const key = await importFernetKey(manifestKey);
    const plaintexts = fc.oneof(
      anyBytes().map((bytes) => bytes),
      fc.json().map(utf8),
      fc.anything().map((value) => utf8(JSON.stringify(value) ?? '')),
      anyManifest.map((manifest) => utf8(JSON.stringify({ ...manifest, userId: 'someone else' }))),
    );
    await fc.assert(
      fc.asyncProperty(plaintexts, async (plaintext) => {
        const token = await encryptTokenText(key, plaintext);
        const opened = await returnsOrRefuses(() => openManifest(manifestKey, token, userId), ['EXPORT_INVALID']);
        if (opened) expect((opened as ExportManifest).userId).toBe(userId);
      }),
      MANY,
    );
  });
});

describe('the export archive, property-tested', () => {
  it('refuses the vector archive with any entry altered, replaced by any bytes, or dropped', async () => {
    const entries = await entriesOf(archive);
    const names = [...entries.keys()];
    const changed = fc
      .constantFrom(...names)
      .chain((name) =>
        fc.oneof(mutationOf(entries.get(name)!), anyBytes(), fc.constant(undefined)).map((bytes) => ({ name, bytes })),
      );
    await fc.assert(
      fc.asyncProperty(changed, async ({ name, bytes }) => {
        const altered = new Map(entries);
        if (bytes) altered.set(name, bytes);
        else altered.delete(name);
        await refuses(() => openExportArchive(memoryReader(altered), vector!.recoveryCode, drainingWriter), REFUSED);
      }),
      { ...FEW, numRuns: 60 },
    );
  });
});

describe('the zip reader, property-tested', () => {
  it('reads any bytes, and the vector archive altered in any way, or refuses them with EXPORT_INVALID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes(), mutationOf(archive)), async (bytes) => {
        await returnsOrRefuses(() => entriesOf(bytes), ['EXPORT_INVALID']);
      }),
      { ...FEW, numRuns: 80 },
    );
  });

  it('refuses a ZIP64 end record that claims a central directory larger than the file (a regression)', async () => {
    const bytes = new Uint8Array(98);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x06064b50, true);
    view.setBigUint64(40, 2n ** 60n, true);
    view.setUint32(56, 0x07064b50, true);
    view.setUint32(76, 0x06054b50, true);
    view.setUint16(86, 0xffff, true);
    view.setUint32(92, 0xffffffff, true);
    await refuses(() => entriesOf(bytes.subarray(0, 98)), ['EXPORT_INVALID']);
  });
});

describe('the export archive, regression found by the properties', () => {
  it('a manifest entry that is not UTF-8 is EXPORT_INVALID, not a TypeError', async () => {
    const entries = await entriesOf(archive);
    entries.set('manifest', Uint8Array.of(...entries.get('manifest')!, 0x80));
    await refuses(
      () => openExportArchive(memoryReader(entries), vector!.recoveryCode, drainingWriter),
      ['EXPORT_INVALID'],
    );
  });
});
