/**
 * Folder manifests (docs/FORMAT.md section 5.3) as a reader gets them from the server: a manifest verifies for any
 * folder, writer, version and children it was signed for, with its entries in any order; any byte of its signature,
 * an entry's digest, an id or its version altered, or an entry dropped or added, is FOLDER_MANIFEST_INVALID; an entry
 * named twice, and anything not shaped as a manifest (a field missing or of another type, an id in another spelling),
 * is FOLDER_MANIFEST_MALFORMED, never another error; and no refusal repeats the server's text.
 */
import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import {
  bytesToUuid,
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  manifestEntry,
  MAX_MANIFEST_VERSION,
  signFolderManifest,
  uuidToBytes,
  verifyFolderManifest,
  type FolderChildState,
  type FolderManifest,
  type FolderManifestEntry,
} from '../../shared/crypto/index.ts';
import {
  anyBytes,
  anyText,
  anyUuid,
  expectNoServerText,
  FEW,
  MANY,
  mutationOf,
  refuses,
  SERVER_TEXT,
} from './arbitraries.ts';

const place = { folderId: 'f01de200-0000-4000-8000-00000000000d', ownerId: 'a11ce000-0000-4000-8000-00000000000e' };
const writerId = 'b0b00000-0000-4000-8000-00000000000f';
const fileState = (id: string, n: number): FolderChildState => ({
  id,
  kind: 'file',
  revision: { number: n, header: new Uint8Array(80).fill(n) },
  encryptedMetadata: new Uint8Array(89).fill(n),
});
const folderState = (id: string, n: number): FolderChildState => ({
  id,
  kind: 'folder',
  revision: null,
  encryptedMetadata: new Uint8Array(57).fill(n),
});
/** Ids with letters in them, so that upper case spells them otherwise. */
const states = [
  fileState('c0ffee00-0000-4000-8000-00000000000a', 1),
  fileState('deadbeef-0000-4000-8000-00000000000b', 2),
  folderState('facade00-0000-4000-8000-00000000000c', 3),
  folderState('0b6f7a5e-0000-4000-8000-000000000001', 4),
];
let signingKey: CryptoKey;
let publicKey: Uint8Array;
let manifest: FolderManifest;

beforeAll(async () => {
  const pairs = await generateAccountKeyPairs();
  signingKey = pairs.signing.privateKey;
  publicKey = await exportPublicKey(pairs.signing.publicKey);
  const children = await Promise.all(states.map(manifestEntry));
  manifest = await signFolderManifest({ ...place, writerId, version: 7, children }, signingKey);
});

const verify = (value: unknown, where = place) => verifyFolderManifest(value as FolderManifest, where, publicKey);

const anyChild: fc.Arbitrary<FolderChildState> = fc.oneof(
  fc.record({
    id: anyUuid,
    kind: fc.constant('folder' as const),
    revision: fc.constant(null),
    encryptedMetadata: anyBytes(200),
  }),
  fc.record({
    id: anyUuid,
    kind: fc.constant('file' as const),
    revision: fc.record({ number: fc.nat({ max: 0xffffffff }), header: anyBytes(100) }),
    encryptedMetadata: anyBytes(200),
  }),
);
const anyVersion = fc.integer({ min: 1, max: MAX_MANIFEST_VERSION });
const anyDigest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => encodeBase64url(bytes));
/** The bytes of `text` (base64url) with one byte changed, in the same encoding. */
const flipped = (text: string, decode: (text: string) => Uint8Array, encode: (bytes: Uint8Array) => string) => {
  const bytes = decode(text);
  return fc.record({ at: fc.nat(bytes.length - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
    const out = bytes.slice();
    out[at] = out[at]! ^ xor;
    return encode(out);
  });
};
const flippedBase64 = (text: string) => flipped(text, decodeBase64url, (bytes) => encodeBase64url(bytes));
const flippedId = (id: string) => flipped(id, uuidToBytes, bytesToUuid);
/** An id as a server could spell the same 16 bytes otherwise. */
const respelled = (id: string) =>
  fc.constantFrom(
    id.toUpperCase(),
    id.replaceAll('-', ''),
    id.replaceAll('-', '').toUpperCase(),
    `{${id}}`,
    `urn:uuid:${id}`,
    ` ${id}`,
    `${id}\n`,
  );
/** Whether `text` is anything but base64url of `length` bytes. */
const notBase64Of = (length: number) => (text: string) => {
  try {
    return decodeBase64url(text).length !== length;
  } catch {
    return true;
  }
};
const kindOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);
/** Any JSON value, some carrying the server's text; `like` excludes values of its JSON type. */
const hostile = (like?: unknown) =>
  fc
    .oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(SERVER_TEXT, null),
      fc.jsonValue({ maxDepth: 1 }).map((value) => [SERVER_TEXT, value]),
      fc.jsonValue({ maxDepth: 1 }).map((value) => ({ [SERVER_TEXT]: value, id: SERVER_TEXT, digest: SERVER_TEXT })),
    )
    .filter((value) => like === undefined || kindOf(value) !== kindOf(like));
const withChildren = (children: unknown[]) => ({ ...manifest, children });
const withEntry = (at: number, entry: unknown) => withChildren(manifest.children.map((e, i) => (i === at ? entry : e)));
const without = <T extends object>(value: T, key: keyof T) =>
  Object.fromEntries(Object.entries(value).filter(([name]) => name !== key));
const FIELDS = ['version', 'writerId', 'children', 'signature'] as const;

describe('folder manifests, property-tested', () => {
  it('verify for any folder, owner, writer, version and children they were signed for, sent as JSON', async () => {
    const signed = fc.record({
      folderId: anyUuid,
      ownerId: anyUuid,
      writerId: anyUuid,
      version: anyVersion,
      children: fc.uniqueArray(anyChild, { selector: (child) => child.id, maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(signed, async ({ children, ...statement }) => {
        const entries = await Promise.all(children.map(manifestEntry));
        const made = await signFolderManifest({ ...statement, children: entries }, signingKey);
        await verify(JSON.parse(JSON.stringify(made)), { folderId: statement.folderId, ownerId: statement.ownerId });
      }),
      { ...FEW, numRuns: 15 },
    );
  });

  it('verify with the entries in any order: they are signed sorted', async () => {
    const n = manifest.children.length;
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray(manifest.children, { minLength: n, maxLength: n }), async (children) => {
        await verify(withChildren(children));
      }),
      FEW,
    );
  });

  it('refuse an entry dropped or added with FOLDER_MANIFEST_INVALID, and one named twice with FOLDER_MANIFEST_MALFORMED', async () => {
    const { children } = manifest;
    const insert = <T>(list: readonly T[], at: number, item: T) => [...list.slice(0, at), item, ...list.slice(at)];
    const dropped = fc.nat(children.length - 1).map((at) => ({
      children: children.filter((_, i) => i !== at),
      code: 'FOLDER_MANIFEST_INVALID' as const,
    }));
    const added = fc
      .record({ id: anyUuid, digest: anyDigest, at: fc.nat(children.length) })
      .filter(({ id }) => children.every((entry) => entry.id !== id))
      .map(({ id, digest, at }) => ({
        children: insert(children, at, { id, digest }),
        code: 'FOLDER_MANIFEST_INVALID' as const,
      }));
    const twice = fc
      .record({ from: fc.nat(children.length - 1), at: fc.nat(children.length), digest: fc.option(anyDigest) })
      .map(({ from, at, digest }) => ({
        children: insert(children, at, { id: children[from]!.id, digest: digest ?? children[from]!.digest }),
        code: 'FOLDER_MANIFEST_MALFORMED' as const,
      }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(dropped, added, twice), async ({ children: changed, code }) => {
        await refuses(() => verify(withChildren(changed)), [code]);
      }),
      MANY,
    );
  });

  it('refuse any byte of the signature, an entry digest or an id, or the version, altered with FOLDER_MANIFEST_INVALID', async () => {
    const { children } = manifest;
    const entryChanged = (at: number, change: Partial<FolderManifestEntry>) =>
      withEntry(at, { ...children[at]!, ...change });
    const altered: fc.Arbitrary<{ manifest: unknown; where?: typeof place }> = fc.oneof(
      flippedBase64(manifest.signature).map((signature) => ({ manifest: { ...manifest, signature } })),
      fc
        .nat(children.length - 1)
        .chain((at) =>
          flippedBase64(children[at]!.digest).map((digest) => ({ manifest: entryChanged(at, { digest }) })),
        ),
      fc
        .nat(children.length - 1)
        .chain((at) => flippedId(children[at]!.id).map((id) => ({ manifest: entryChanged(at, { id }) }))),
      flippedId(writerId).map((id) => ({ manifest: { ...manifest, writerId: id } })),
      flippedId(place.folderId).map((folderId) => ({ manifest, where: { ...place, folderId } })),
      flippedId(place.ownerId).map((ownerId) => ({ manifest, where: { ...place, ownerId } })),
      anyVersion
        .filter((version) => version !== manifest.version)
        .map((version) => ({ manifest: { ...manifest, version } })),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        await refuses(() => verify(changed.manifest, changed.where), ['FOLDER_MANIFEST_INVALID']);
      }),
      MANY,
    );
  });

  it('refuse a signature of any other length, or a version out of range, with FOLDER_MANIFEST_MALFORMED', async () => {
    const malformed = fc.oneof(
      mutationOf(decodeBase64url(manifest.signature))
        .filter((bytes) => bytes.length !== 64)
        .map((bytes) => ({ ...manifest, signature: encodeBase64url(bytes) })),
      fc
        .oneof(
          fc.integer({ max: 0 }),
          fc.maxSafeNat().map((n) => MAX_MANIFEST_VERSION + 1 + n),
          fc.double().filter((version) => !Number.isInteger(version)),
          fc.constantFrom(2 ** 53, -0.5, 7.5, Number.MAX_VALUE),
        )
        .map((version) => ({ ...manifest, version })),
    );
    await fc.assert(
      fc.asyncProperty(malformed, async (changed) => {
        await refuses(() => verify(changed), ['FOLDER_MANIFEST_MALFORMED']);
      }),
      MANY,
    );
  });

  it('refuse anything not shaped as a manifest with FOLDER_MANIFEST_MALFORMED, repeating none of it', async () => {
    const atEntry = (make: (entry: FolderManifestEntry) => fc.Arbitrary<unknown>) =>
      fc
        .nat(manifest.children.length - 1)
        .chain((at) => make(manifest.children[at]!).map((entry) => withEntry(at, entry)));
    const shapes = fc.oneof(
      fc.anything(),
      hostile(),
      fc.constantFrom(...FIELDS).map((field) => without(manifest, field)),
      fc
        .constantFrom(...FIELDS)
        .chain((field) => hostile(manifest[field]).map((value) => ({ ...manifest, [field]: value }))),
      respelled(writerId).map((id) => ({ ...manifest, writerId: id })),
      anyText.map((id) => ({ ...manifest, writerId: id })),
      anyText.filter(notBase64Of(64)).map((signature) => ({ ...manifest, signature })),
      atEntry((entry) => anyText.map((id) => ({ ...entry, id }))),
      atEntry((entry) => anyText.filter(notBase64Of(32)).map((digest) => ({ ...entry, digest }))),
      atEntry((entry) => fc.constantFrom(without(entry, 'id'), without(entry, 'digest'))),
      atEntry(() => hostile({})),
      atEntry((entry) => hostile(entry.id).map((id) => ({ ...entry, id }))),
      atEntry((entry) => hostile(entry.digest).map((digest) => ({ ...entry, digest }))),
      atEntry((entry) => respelled(entry.id).map((id) => ({ ...entry, id }))),
    );
    await fc.assert(
      fc.asyncProperty(shapes, async (value) => {
        const error = await refuses(() => verify(value), ['FOLDER_MANIFEST_MALFORMED']);
        expectNoServerText(error.message);
      }),
      MANY,
    );
  });

  it("repeat none of the server's text, whichever field carries it", async () => {
    const { children } = manifest;
    const at = fc.nat(children.length - 1);
    const carrying = (original: unknown) =>
      fc.constantFrom(SERVER_TEXT, [SERVER_TEXT], { [SERVER_TEXT]: SERVER_TEXT }, `${String(original)}${SERVER_TEXT}`);
    const hostileManifests = fc.oneof(
      fc
        .constantFrom(...FIELDS)
        .chain((field) => carrying(manifest[field]).map((value) => ({ ...manifest, [field]: value }))),
      at.chain((i) => carrying(children[i]).map((entry) => withEntry(i, entry))),
      fc
        .constantFrom('id' as const, 'digest' as const)
        .chain((field) =>
          at.chain((i) =>
            carrying(children[i]![field]).map((value) => withEntry(i, { ...children[i]!, [field]: value })),
          ),
        ),
    );
    await fc.assert(
      fc.asyncProperty(hostileManifests, async (value) => {
        const error = await refuses(() => verify(value), ['FOLDER_MANIFEST_MALFORMED']);
        expectNoServerText(error.message);
      }),
      MANY,
    );
  });
});
