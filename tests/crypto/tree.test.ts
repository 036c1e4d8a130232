import { describe, expect, it } from 'vitest';
import {
  decryptMetadata,
  decryptThumbnail,
  encryptThumbnail,
  MAX_THUMBNAIL_BYTES,
  encryptMetadata,
  generateKey,
  generateNodeKey,
  METADATA_PADDING,
  nameProblem,
  nodeKeyUnwrapper,
  unwrapNodeKey,
  wrapNodeKey,
  type FileMetadata,
  type NodePlace,
} from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import { hasDuplicateKey } from '../../shared/crypto/duplicate-keys.ts';
import { expectCode } from './assertions.ts';

const OWNER = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const ROOT = '11111111-1111-4111-8111-111111111111';
const FOLDER = '22222222-2222-4222-8222-222222222222';
const OTHER_FOLDER = '33333333-3333-4333-8333-333333333333';
const FILE = '44444444-4444-4444-8444-444444444444';

const fileHere: NodePlace & { kind: 'file' } = { ownerId: OWNER, nodeId: FILE, parentId: FOLDER, kind: 'file' };
const metadata: FileMetadata = {
  name: 'Tax return 2026.pdf',
  type: 'application/pdf',
  size: 48213,
  modified: 1795000000000,
  revision: 1,
};

// Every folder listing unwraps through nodeKeyUnwrapper, and single nodes through unwrapNodeKey: both face every case.
const unwrapPaths: [string, (parentKey: Uint8Array, wrapped: string, place: NodePlace) => Promise<Uint8Array>][] = [
  ['unwrapNodeKey', unwrapNodeKey],
  ['nodeKeyUnwrapper', async (parentKey, wrapped, place) => (await nodeKeyUnwrapper(parentKey))(wrapped, place)],
];

describe.each(unwrapPaths)('node keys, through %s', (_, unwrap) => {
  it('unwrap under the parent key they were wrapped under, for the same node and kind', async () => {
    const folderKey = generateNodeKey();
    const fileKey = generateNodeKey();
    const wrapped = await wrapNodeKey(folderKey, fileKey, fileHere);
    expect(toHex(await unwrap(folderKey, wrapped, fileHere))).toBe(toHex(fileKey));
  });

  it.each([
    ['under another folder key (the node was moved by the server)', { parentKey: generateKey() }],
    ['for another node id', { place: { ...fileHere, nodeId: OTHER_FOLDER } }],
    ['for another owner', { place: { ...fileHere, ownerId: ROOT } }],
    ['as a folder (a file key passed off as a folder key)', { place: { ...fileHere, kind: 'folder' as const } }],
  ])('are refused %s', async (_, change: { parentKey?: Uint8Array; place?: NodePlace }) => {
    const folderKey = generateNodeKey();
    const wrapped = await wrapNodeKey(folderKey, generateNodeKey(), fileHere);
    await expectCode(unwrap(change.parentKey ?? folderKey, wrapped, change.place ?? fileHere), 'WRAPPED_KEY_INVALID');
  });
});

describe('node metadata', () => {
  it('round-trips file and folder metadata', async () => {
    const key = generateNodeKey();
    const encrypted = await encryptMetadata(key, fileHere, metadata);
    expect(await decryptMetadata(key, fileHere, encrypted)).toEqual(metadata);
    const root = { ownerId: OWNER, nodeId: ROOT, parentId: null, kind: 'folder' as const };
    expect(await decryptMetadata(key, root, await encryptMetadata(key, root, { name: 'My files' }))).toEqual({
      name: 'My files',
    });
  });

  it.each([
    ['another parent', { ...fileHere, parentId: OTHER_FOLDER }],
    ['no parent', { ...fileHere, kind: 'folder' as const, parentId: null }],
    ['another node', { ...fileHere, nodeId: OTHER_FOLDER }],
    ['another kind', { ...fileHere, kind: 'folder' as const }],
  ])('is refused when presented for %s', async (_, place: NodePlace) => {
    const key = generateNodeKey();
    const encrypted = await encryptMetadata(key, fileHere, metadata);
    await expectCode(decryptMetadata(key, place, encrypted), 'METADATA_INVALID');
  });

  it('is refused under another node key and when any byte is altered', async () => {
    const key = generateNodeKey();
    const encrypted = await encryptMetadata(key, fileHere, metadata);
    await expectCode(decryptMetadata(generateNodeKey(), fileHere, encrypted), 'METADATA_INVALID');
    for (const index of [0, 9, 30, encrypted.length - 1]) {
      const altered = encrypted.slice();
      altered[index]! ^= 1;
      await expectCode(decryptMetadata(key, fileHere, altered), 'METADATA_INVALID');
    }
  });

  it('pads the plaintext, so names of similar length give tokens of one length', async () => {
    const key = generateNodeKey();
    const lengths = new Set<number>();
    for (const name of ['a.txt', 'ab.txt', 'abcdefgh.txt']) {
      lengths.add((await encryptMetadata(key, fileHere, { ...metadata, name })).length);
    }
    expect(lengths.size).toBe(1);
    const long = await encryptMetadata(key, fileHere, { ...metadata, name: 'x'.repeat(METADATA_PADDING * 2) });
    expect(long.length).toBeGreaterThan([...lengths][0]!);
  });

  it.each([
    ['', 'cannot be empty'],
    ['   ', 'cannot be empty'],
    ['..', 'cannot be a name'],
    ['a/b', 'cannot contain'],
    ['a\\b', 'cannot contain'],
    ['a\0b', 'an invisible control character (U+0000), which Coffer does not allow in names'],
    ['invoice\u202efdp.exe', 'an invisible control character (U+202E)'],
    ['a\u0085b', 'an invisible control character (U+0085)'],
    ['a\u2068b', 'an invisible control character (U+2068)'],
    ['a\ud800b', 'an unpaired UTF-16 surrogate (U+D800)'],
    ['a.txt ', 'cannot begin or end with white space'],
    ['\u3000a', 'cannot begin or end with white space'],
    ['é'.repeat(128), 'at most 255 bytes'],
  ])('refuses to encrypt the name %j', async (name, problem) => {
    expect(nameProblem(name)).toContain(problem);
    await expect(encryptMetadata(generateNodeKey(), fileHere, { ...metadata, name })).rejects.toThrow(problem);
  });

  it('refuses metadata with missing, extra or non-integer fields', async () => {
    const key = generateNodeKey();
    const bad = [
      { name: 'a', type: '', size: 1, modified: 1 },
      { ...metadata, extra: true },
      { ...metadata, size: 1.5 },
      { ...metadata, size: -1 },
      { ...metadata, revision: 2 ** 32 },
    ];
    for (const candidate of bad) {
      await expectCode(encryptMetadata(key, fileHere, candidate as FileMetadata), 'BAD_ARGUMENT');
    }
  });
});

describe('duplicate keys in JSON', () => {
  it.each([
    '{"a":1,"a":1}',
    '{"a":1,"\\u0061":2}',
    '{"x":{"a":1,"b":{"c":[{"a":1,"a":2}]}}}',
    '{"x":[1,{"y":"a"}],"b":{},"x":2}',
    ' { "a" : "}" , "a" : 0 } ',
  ])('finds a key given twice, at any depth, in %s', (json) => {
    expect(hasDuplicateKey(json)).toBe(true);
  });

  it.each([
    '{"a":1,"b":1}',
    '{"a":"a","b":["a","a"]}',
    '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}',
    '{"a\\"":1,"a":2,"\\\\":3,"\\\\\\"":4}',
    '[{"a":1},{"a":1}]',
    '"a"',
  ])('lets %s through', (json) => {
    JSON.parse(json);
    expect(hasDuplicateKey(json)).toBe(false);
  });
});

describe('thumbnails', () => {
  const image = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

  it('round-trip for their file and revision only', async () => {
    const key = generateNodeKey();
    const token = await encryptThumbnail(key, FILE, 3, image);
    expect([...(await decryptThumbnail(key, FILE, 3, token))]).toEqual([...image]);
    await expectCode(decryptThumbnail(key, FILE, 2, token), 'THUMBNAIL_INVALID');
    await expectCode(decryptThumbnail(key, FOLDER, 3, token), 'THUMBNAIL_INVALID');
    await expectCode(decryptThumbnail(generateNodeKey(), FILE, 3, token), 'THUMBNAIL_INVALID');
  });

  it('refuses an image too large to store', async () => {
    await expectCode(encryptThumbnail(generateNodeKey(), FILE, 1, new Uint8Array(MAX_THUMBNAIL_BYTES)), 'BAD_ARGUMENT');
  });
});
