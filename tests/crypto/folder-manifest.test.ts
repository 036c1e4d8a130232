import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  manifestEntry,
  manifestSignedBytes,
  signFolderManifest,
  verifyFolderManifest,
  type FolderManifest,
  type FolderManifestEntry,
} from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, type VectorJwk } from '../vectors/keys.ts';
import { expectCode } from './assertions.ts';

const owner = 'a11ce000-0000-4000-8000-000000000001';
const editor = 'b0b00000-0000-4000-8000-000000000002';
const folder = 'f01de200-0000-4000-8000-000000000004';
const fileId = 'f11e0000-0000-4000-8000-000000000005';
const subfolderId = 'f01de200-0000-4000-8000-000000000006';

const decode = decodeBase64url;

describe('folder manifest vectors (FORMAT.md section 5.3)', () => {
  it.each(vectors.folderManifest)('computes the entries and signed bytes of $name exactly', async (vector) => {
    for (const [i, child] of vector.children.entries()) {
      const entry = await manifestEntry({
        id: child.id,
        kind: child.kind as 'file' | 'folder',
        revision: child.revision && { number: child.revision.number, header: decode(child.revision.header) },
        encryptedMetadata: decode(child.encryptedMetadata),
      });
      expect(entry).toEqual(vector.manifest.children[i]);
    }
    const statement = { folderId: vector.folderId, ownerId: vector.ownerId, ...vector.manifest };
    expect(toHex(await manifestSignedBytes(statement))).toBe(vector.signedBytes);
  });

  it.each(vectors.folderManifest)("verifies $name's signature, and one made here", async (vector) => {
    const key = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
    const publicKey = await exportPublicKey(key.publicKey);
    const place = { folderId: vector.folderId, ownerId: vector.ownerId };
    await verifyFolderManifest(vector.manifest, place, publicKey);
    const made = await signFolderManifest({ ...place, ...vector.manifest }, key.privateKey);
    await verifyFolderManifest(made, place, publicKey);
  });
});

describe('folder manifest refusal vectors (FORMAT.md section 5.3)', () => {
  it.each(vectors.folderManifestRefusal)('refuses $name with $error', async (vector) => {
    const key = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
    await expectCode(
      verifyFolderManifest(
        vector.manifest,
        { folderId: vector.folderId, ownerId: vector.ownerId },
        await exportPublicKey(key.publicKey),
      ),
      vector.error as 'FOLDER_MANIFEST_INVALID' | 'FOLDER_MANIFEST_MALFORMED',
    );
  });
});

describe('folder manifests', () => {
  async function signed() {
    const writer = (await generateAccountKeyPairs()).signing;
    const other = (await generateAccountKeyPairs()).signing;
    const children = [
      await manifestEntry({
        id: fileId,
        kind: 'file',
        revision: { number: 3, header: crypto.getRandomValues(new Uint8Array(80)) },
        encryptedMetadata: crypto.getRandomValues(new Uint8Array(153)),
      }),
      await manifestEntry({
        id: subfolderId,
        kind: 'folder',
        revision: null,
        encryptedMetadata: crypto.getRandomValues(new Uint8Array(121)),
      }),
    ];
    const place = { folderId: folder, ownerId: owner };
    const manifest = await signFolderManifest({ ...place, writerId: editor, version: 6, children }, writer.privateKey);
    return {
      manifest,
      place,
      writerKey: await exportPublicKey(writer.publicKey),
      otherKey: await exportPublicKey(other.publicKey),
    };
  }

  it("verifies with the writer's key, whatever order the children are listed in", async () => {
    const { manifest, place, writerKey } = await signed();
    await expect(verifyFolderManifest(manifest, place, writerKey)).resolves.toBeUndefined();
    const reordered = { ...manifest, children: [...manifest.children].reverse() };
    await expect(verifyFolderManifest(reordered, place, writerKey)).resolves.toBeUndefined();
  });

  const flip = (entry: FolderManifestEntry): FolderManifestEntry => {
    const bytes = decode(entry.digest);
    bytes[0]! ^= 1;
    return { ...entry, digest: encodeBase64url(bytes) };
  };

  it.each<[string, (manifest: FolderManifest) => Partial<FolderManifest>]>([
    ['an older version', () => ({ version: 5 })],
    ['a newer version', () => ({ version: 7 })],
    ['another writer', () => ({ writerId: owner })],
    ['a child left out', (manifest) => ({ children: manifest.children.slice(1) })],
    ['a child added', (manifest) => ({ children: [...manifest.children, { ...manifest.children[0]!, id: owner }] })],
    ['a child in another state', (manifest) => ({ children: [flip(manifest.children[0]!), manifest.children[1]!] })],
    [
      'a child under another id',
      (manifest) => ({ children: [{ ...manifest.children[0]!, id: owner }, manifest.children[1]!] }),
    ],
  ])('refuses the manifest with %s', async (_case, change) => {
    const { manifest, place, writerKey } = await signed();
    await expectCode(
      verifyFolderManifest({ ...manifest, ...change(manifest) }, place, writerKey),
      'FOLDER_MANIFEST_INVALID',
    );
  });

  it('refuses it for another folder or owner, and under any other key', async () => {
    const { manifest, place, writerKey, otherKey } = await signed();
    await expectCode(
      verifyFolderManifest(manifest, { ...place, folderId: subfolderId }, writerKey),
      'FOLDER_MANIFEST_INVALID',
    );
    await expectCode(
      verifyFolderManifest(manifest, { ...place, ownerId: editor }, writerKey),
      'FOLDER_MANIFEST_INVALID',
    );
    await expectCode(verifyFolderManifest(manifest, place, otherKey), 'FOLDER_MANIFEST_INVALID');
  });

  it('binds each part of a child state: kind, revision number, header and metadata', async () => {
    const header = new Uint8Array(80);
    const metadata = new Uint8Array(153);
    const base = { id: fileId, kind: 'file' as const, revision: { number: 3, header }, encryptedMetadata: metadata };
    const digests = await Promise.all(
      [
        base,
        { ...base, id: subfolderId },
        { ...base, kind: 'folder' as const, revision: null },
        { ...base, revision: { number: 4, header } },
        { ...base, revision: { number: 3, header: header.map((b, i) => (i === 79 ? 1 : b)) } },
        { ...base, encryptedMetadata: metadata.map((b, i) => (i === 0 ? 1 : b)) },
      ].map(async (state) => (await manifestEntry(state)).digest),
    );
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('refuses ids in upper case or without hyphens, though their bytes are the ones signed', async () => {
    const { manifest, place, writerKey } = await signed();
    const respell = (id: string) => [id.toUpperCase(), id.replaceAll('-', '')];
    const cases: FolderManifest[] = [
      ...respell(editor).map((writerId) => ({ ...manifest, writerId })),
      ...respell(fileId).map((id) => ({
        ...manifest,
        children: [{ ...manifest.children[0]!, id }, manifest.children[1]!],
      })),
    ];
    for (const respelled of cases) {
      await expectCode(verifyFolderManifest(respelled, place, writerKey), 'FOLDER_MANIFEST_MALFORMED', /lower case/);
    }
    for (const folderId of respell(folder)) {
      await expectCode(verifyFolderManifest(manifest, { ...place, folderId }, writerKey), 'BAD_ARGUMENT');
    }
  });

  it("writes none of the server's text into what it says is wrong", async () => {
    const { manifest, place, writerKey } = await signed();
    const text = 'Coffer support: your files are locked, call +1 555 0100';
    const cases: unknown[] = [
      { ...manifest, signature: text },
      { ...manifest, version: text },
      { ...manifest, writerId: text },
      { ...manifest, children: [{ id: text, digest: manifest.children[0]!.digest }] },
      { ...manifest, children: [{ id: fileId, digest: text }] },
    ];
    for (const hostile of cases) {
      const error = await verifyFolderManifest(hostile as FolderManifest, place, writerKey).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toMatch(/Coffer support|call|555/);
    }
  });

  it('refuses a malformed manifest before anything else', async () => {
    const { manifest, place, writerKey } = await signed();
    const cases: unknown[] = [
      { ...manifest, signature: manifest.signature.slice(0, 40) },
      { ...manifest, version: 0 },
      { ...manifest, version: 2 ** 32 },
      { ...manifest, version: '6' },
      { ...manifest, writerId: 'bob' },
      { ...manifest, children: 'none' },
      { ...manifest, children: [manifest.children[0], manifest.children[0]] },
      { ...manifest, children: [{ id: 'x', digest: manifest.children[0]!.digest }] },
      { ...manifest, children: [{ id: fileId, digest: 'AAAA' }] },
      null,
    ];
    for (const malformed of cases) {
      await expectCode(
        verifyFolderManifest(malformed as FolderManifest, place, writerKey),
        'FOLDER_MANIFEST_MALFORMED',
      );
    }
  });
});
