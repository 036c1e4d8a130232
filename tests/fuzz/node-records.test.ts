/**
 * A node as the server lists it (docs/FORMAT.md section 5): its wrapped key, its metadata token and what that token
 * decrypts to, its author signature (section 5.2), and its thumbnail (section 5.1). The one path that opens a record
 * (web/src/lib/files/open-record.ts) refuses any other text and any alteration with TamperedNodeError; metadata is
 * METADATA_INVALID unless its JSON has exactly its fields; a signature verifies only the statement it signed (threat
 * model rows 1, 2 and 9).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, u8, utf8 } from '../../shared/crypto/bytes.ts';
import { hkdf, importHkdfKey } from '../../shared/crypto/hkdf.ts';
import {
  AUTHOR_ACTIONS,
  decodeBase64url,
  decryptMetadata,
  decryptThumbnail,
  encodeBase64url,
  encryptMetadata,
  encryptThumbnail,
  encryptToken,
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  importFernetKey,
  LABEL_METADATA,
  nodeKeyUnwrapper,
  signAuthorship,
  uuidToBytes,
  verifyAuthorship,
  wrapNodeKey,
  type AuthorSignature,
  type AuthorStatement,
  type FileMetadata,
  type NodeKeyUnwrapper,
  type NodePlace,
} from '../../shared/crypto/index.ts';
import type { NodeRecord } from '../../shared/api/responses.ts';
import { openRecord, TamperedNodeError } from '../../web/src/lib/files/open-record.ts';
import {
  anyBytes,
  anyText,
  anyUuid,
  anyWellFormedText,
  expectNoServerText,
  FEW,
  MANY,
  mutationOf,
  refuses,
  returnsOrRefuses,
  SERVER_TEXT,
} from './arbitraries.ts';

const ownerId = '0b6f7a5e-0000-4000-8000-000000000001';
const place: NodePlace & { kind: 'file' } = {
  ownerId,
  nodeId: '0b6f7a5e-0000-4000-8000-000000000003',
  parentId: '0b6f7a5e-0000-4000-8000-000000000002',
  kind: 'file',
};
const metadata: FileMetadata = { name: 'scan.pdf', type: 'application/pdf', size: 10, modified: 5, revision: 1 };
const parentKey = generateNodeKey();
const nodeKey = generateNodeKey();
let unwrap: NodeKeyUnwrapper;
let record: NodeRecord;

beforeAll(async () => {
  unwrap = await nodeKeyUnwrapper(parentKey);
  record = {
    id: place.nodeId,
    parentId: place.parentId,
    kind: 'file',
    wrappedKey: await wrapNodeKey(parentKey, nodeKey, place),
    encryptedMetadata: encodeBase64url(await encryptMetadata(nodeKey, place, metadata)),
    currentRevision: null,
    createdAt: '',
    updatedAt: '',
    trashedAt: null,
    authorId: null,
    authorSignature: null,
    requestLinkId: null,
  } as NodeRecord;
});

/** The metadata key as FORMAT.md section 5 derives it, to seal any plaintext as metadata. */
async function metadataKey(key: Uint8Array, where: NodePlace) {
  const info = concatBytes(
    utf8(LABEL_METADATA),
    u8(0),
    u8(where.kind === 'folder' ? 1 : 2),
    uuidToBytes(where.nodeId),
    where.parentId === null ? new Uint8Array(16) : uuidToBytes(where.parentId),
  );
  return importFernetKey(await hkdf(await importHkdfKey(key), new Uint8Array(0), info));
}

async function refusesAsTampered(work: () => Promise<unknown>): Promise<void> {
  const error = await work().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, 'expected a TamperedNodeError, but the record opened').toBeInstanceOf(TamperedNodeError);
}

describe('node records, property-tested through openRecord', () => {
  it('open to their metadata for any name, type, size, date and revision', async () => {
    const anyMetadata = fc.record({
      name: anyWellFormedText(40).filter((name) => name.trim() === name && name !== '' && !/[/\\\p{Cc}]/u.test(name)),
      type: fc.string({ maxLength: 40 }),
      size: fc.maxSafeNat(),
      modified: fc.maxSafeNat(),
      revision: fc.nat({ max: 0xffffffff }),
    });
    await fc.assert(
      fc.asyncProperty(anyMetadata, async (m) => {
        fc.pre(m.name !== '.' && m.name !== '..' && !/[\u202a-\u202e\u2066-\u2069]/.test(m.name));
        const written = { ...record, encryptedMetadata: encodeBase64url(await encryptMetadata(nodeKey, place, m)) };
        const { node } = await openRecord(ownerId, unwrap, written);
        expect({ name: node.name, type: node.type, size: node.size, modified: node.modified }).toEqual({
          name: m.name,
          type: m.type,
          size: m.size,
          modified: m.modified,
        });
      }),
      FEW,
    );
  });

  it('refuse any wrapped key or metadata text with TamperedNodeError', async () => {
    const altered = fc.oneof(
      anyText.map((wrappedKey) => ({ ...record, wrappedKey })),
      anyText.map((encryptedMetadata) => ({ ...record, encryptedMetadata })),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        await refusesAsTampered(() => openRecord(ownerId, unwrap, changed));
      }),
      MANY,
    );
  });

  it('refuse a record whose wrapped key or metadata token is altered in any way', async () => {
    const altered = fc.oneof(
      mutationOf(decodeBase64url(record.wrappedKey)).map((bytes) => ({
        ...record,
        wrappedKey: encodeBase64url(bytes),
      })),
      mutationOf(decodeBase64url(record.encryptedMetadata)).map((bytes) => ({
        ...record,
        encryptedMetadata: encodeBase64url(bytes),
      })),
    );
    await fc.assert(
      fc.asyncProperty(altered, async (changed) => {
        await refusesAsTampered(() => openRecord(ownerId, unwrap, changed));
      }),
      MANY,
    );
  });
});

describe('node metadata, property-tested', () => {
  it('is METADATA_INVALID unless an authentic plaintext is JSON with exactly its fields', async () => {
    const key = await metadataKey(nodeKey, place);
    const fields = fc.record(
      {
        name: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
        type: fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue()),
        size: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
        modified: fc.oneof(fc.integer(), fc.double()),
        revision: fc.oneof(fc.integer(), fc.nat({ max: 2 ** 33 })),
        extra: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    const plaintexts = fc.oneof(
      anyBytes(),
      fc.json().map(utf8),
      fields.map((value) => utf8(JSON.stringify(value))),
      fields.map((value) => utf8(`${JSON.stringify(value).slice(0, -1)},"name":"x"}`)),
    );
    await fc.assert(
      fc.asyncProperty(plaintexts, async (plaintext) => {
        const token = await encryptToken(key, plaintext);
        const opened = await returnsOrRefuses(() => decryptMetadata(nodeKey, place, token), ['METADATA_INVALID']);
        if (opened) expect(Object.keys(opened).sort()).toEqual(['modified', 'name', 'revision', 'size', 'type']);
      }),
      MANY,
    );
  });
});

describe('author signatures, property-tested', () => {
  let signingKey: CryptoKey;
  let publicKey: Uint8Array;
  const statement: AuthorStatement = {
    action: 'create',
    authorId: ownerId,
    ownerId,
    nodeId: place.nodeId,
    parentId: place.parentId,
    kind: 'file',
    revision: { number: 1, header: new Uint8Array(80).fill(3) },
    encryptedMetadata: new Uint8Array(89).fill(4),
  };
  let signature: AuthorSignature;

  beforeAll(async () => {
    const pairs = await generateAccountKeyPairs();
    signingKey = pairs.signing.privateKey;
    publicKey = await exportPublicKey(pairs.signing.publicKey);
    signature = await signAuthorship(statement, signingKey);
  });

  it('verify for any statement they signed', async () => {
    const anyStatement = fc.record({
      action: fc.constantFrom(...AUTHOR_ACTIONS),
      authorId: anyUuid,
      ownerId: anyUuid,
      nodeId: anyUuid,
      parentId: fc.option(anyUuid),
      kind: fc.constant('file' as const),
      revision: fc.record({ number: fc.nat({ max: 0xffffffff }), header: anyBytes(100) }),
      encryptedMetadata: anyBytes(),
    });
    await fc.assert(
      fc.asyncProperty(anyStatement, async (s) => {
        await verifyAuthorship(await signAuthorship(s, signingKey), s, publicKey);
      }),
      FEW,
    );
  });

  it('refuse anything that is not a signature with AUTHOR_SIGNATURE_MALFORMED or AUTHOR_SIGNATURE_INVALID', async () => {
    const signatures = fc.oneof(
      fc.anything(),
      fc.record({ action: fc.oneof(fc.constantFrom(...AUTHOR_ACTIONS), fc.anything()), signature: anyText }),
      mutationOf(decodeBase64url(signature.signature)).map((bytes) => ({
        ...signature,
        signature: encodeBase64url(bytes),
      })),
      fc.constantFrom(...AUTHOR_ACTIONS).map((action) => ({ ...signature, action })),
    );
    await fc.assert(
      fc.asyncProperty(signatures, async (other) => {
        fc.pre(JSON.stringify(other) !== JSON.stringify(signature));
        await refuses(
          () => verifyAuthorship(other as AuthorSignature, statement, publicKey),
          ['AUTHOR_SIGNATURE_MALFORMED', 'AUTHOR_SIGNATURE_INVALID'],
        );
      }),
      MANY,
    );
  });

  it('refuse the signature for a statement with any field changed', async () => {
    const changed = fc.oneof(
      anyUuid.map((authorId) => ({ authorId })),
      anyUuid.map((ownerId) => ({ ownerId })),
      anyUuid.map((nodeId) => ({ nodeId })),
      fc.option(anyUuid).map((parentId) => ({ parentId })),
      fc
        .oneof(fc.nat({ max: 0xffffffff }), fc.integer(), fc.maxSafeInteger(), fc.constant(2 ** 32 + 1))
        .map((number) => ({ revision: { ...statement.revision!, number } })),
      mutationOf(statement.revision!.header).map((header) => ({ revision: { ...statement.revision!, header } })),
      mutationOf(statement.encryptedMetadata).map((encryptedMetadata) => ({ encryptedMetadata })),
    );
    await fc.assert(
      fc.asyncProperty(changed, async (change) => {
        const other = { ...statement, ...change };
        fc.pre(
          JSON.stringify(other, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v)) !==
            JSON.stringify(statement, (_, v: unknown) => (v instanceof Uint8Array ? [...v] : v)),
        );
        await refuses(
          () => verifyAuthorship(signature, other, publicKey),
          ['AUTHOR_SIGNATURE_INVALID', 'BAD_ARGUMENT'],
        );
      }),
      MANY,
    );
  });

  it('refuse a statement whose ids the server spelled otherwise with BAD_ARGUMENT', async () => {
    const respelled = fc
      .constantFrom('authorId' as const, 'ownerId' as const, 'nodeId' as const, 'parentId' as const)
      .chain((field) =>
        fc
          .constantFrom(
            (id: string) => id.toUpperCase(),
            (id: string) => id.replaceAll('-', ''),
            (id: string) => `{${id}}`,
            (id: string) => `${id} `,
          )
          .map((respell) => ({ ...statement, [field]: respell(statement[field]!) })),
      );
    await fc.assert(
      fc.asyncProperty(respelled, async (other) => {
        const error = await refuses(() => verifyAuthorship(signature, other, publicKey), ['BAD_ARGUMENT']);
        expectNoServerText(error.message, [other.authorId, other.ownerId, other.nodeId, other.parentId!]);
      }),
      MANY,
    );
  });

  it("refuse a signature missing a field or carrying the server's text with AUTHOR_SIGNATURE_MALFORMED, repeating none of it", async () => {
    const carrying = (original: string) =>
      fc.constantFrom(SERVER_TEXT, [SERVER_TEXT], { [SERVER_TEXT]: SERVER_TEXT }, `${original}${SERVER_TEXT}`);
    const hostile = fc.oneof(
      fc.constantFrom({ action: signature.action }, { signature: signature.signature }),
      fc
        .constantFrom('action' as const, 'signature' as const)
        .chain((field) => carrying(signature[field]).map((value) => ({ ...signature, [field]: value }))),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (other) => {
        const error = await refuses(
          () => verifyAuthorship(other as AuthorSignature, statement, publicKey),
          ['AUTHOR_SIGNATURE_MALFORMED'],
        );
        expectNoServerText(error.message);
      }),
      MANY,
    );
  });
});

describe('thumbnails, property-tested', () => {
  it('decrypt to the image, and refuse any bytes or an altered thumbnail with THUMBNAIL_INVALID', async () => {
    const image = Uint8Array.from({ length: 200 }, (_, i) => i);
    const token = await encryptThumbnail(nodeKey, place.nodeId, 1, image);
    expect(await decryptThumbnail(nodeKey, place.nodeId, 1, token)).toEqual(image);
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyBytes(), mutationOf(token)), async (bytes) => {
        await refuses(() => decryptThumbnail(nodeKey, place.nodeId, 1, bytes), ['THUMBNAIL_INVALID']);
      }),
      MANY,
    );
  });
});

/** The counterexample the properties above found, kept as a plain case. */
describe('author signatures, regression found by the properties', () => {
  it('a revision number past the u32 range is refused, not verified as the revision it wraps around to', async () => {
    const pairs = await generateAccountKeyPairs();
    const statement: AuthorStatement = {
      action: 'revise',
      authorId: ownerId,
      ownerId,
      nodeId: place.nodeId,
      parentId: place.parentId,
      kind: 'file',
      revision: { number: 1, header: new Uint8Array(80) },
      encryptedMetadata: new Uint8Array(89),
    };
    const signature = await signAuthorship(statement, pairs.signing.privateKey);
    const wrapped = { ...statement, revision: { number: 2 ** 32 + 1, header: new Uint8Array(80) } };
    const signingPublicKey = await exportPublicKey(pairs.signing.publicKey);
    await refuses(() => verifyAuthorship(signature, wrapped, signingPublicKey), ['BAD_ARGUMENT']);
  });
});
