import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  encryptMetadata,
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  nodeKeyUnwrapper,
  signAuthorship,
  wrapNodeKey,
  type AuthorAction,
} from '../../shared/crypto/index.ts';
import { authorLabel, checkAuthors, type AuthorKey, type AuthorRules } from '../../web/src/lib/files/node-authors.ts';
import type { NodeRecord } from '../../web/src/lib/files/node-records.ts';
import { openRecord } from '../../web/src/lib/files/open-record.ts';

const OWNER = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const EDITOR = 'b0b00000-0000-4000-8000-000000000002';
const STRANGER = '5c0ff000-0000-4000-8000-000000000003';
const FOLDER = '22222222-2222-4222-8222-222222222222';
const folderKey = generateNodeKey();
const [owner, editor, stranger] = await Promise.all([
  generateAccountKeyPairs(),
  generateAccountKeyPairs(),
  generateAccountKeyPairs(),
]);
const signingKeys: Record<string, typeof owner> = { [OWNER]: owner, [EDITOR]: editor, [STRANGER]: stranger };
const HEADER = encodeBase64url(crypto.getRandomValues(new Uint8Array(80)));

/** A file in FOLDER, written and signed by `author` (or unsigned), as the server would list it. */
async function fileBy(author: string | null, action: AuthorAction = 'create'): Promise<NodeRecord> {
  const id = crypto.randomUUID();
  const key = generateNodeKey();
  const place = { ownerId: OWNER, nodeId: id, parentId: FOLDER, kind: 'file' as const };
  const metadata = await encryptMetadata(key, place, {
    name: `file ${id.slice(0, 4)}`,
    type: 'text/plain',
    size: 12,
    modified: 1795000000000,
    revision: 1,
  });
  const signature =
    author === null
      ? null
      : await signAuthorship(
          {
            action,
            authorId: author,
            ...place,
            revision: { number: 1, header: decodeBase64url(HEADER) },
            encryptedMetadata: metadata,
          },
          signingKeys[author]!.signing.privateKey,
        );
  return {
    id,
    parentId: FOLDER,
    kind: 'file',
    wrappedKey: await wrapNodeKey(folderKey, key, place),
    encryptedMetadata: encodeBase64url(metadata),
    currentRevision: {
      id: crypto.randomUUID(),
      nodeId: id,
      number: 1,
      header: HEADER,
      size: 0,
      chunkSize: 524288,
      chunkCount: 1,
      createdAt: '2026-11-24T10:00:00.000Z',
      completedAt: '2026-11-24T10:00:01.000Z',
      thumbnail: false,
      authorId: author,
    },
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:01.000Z',
    trashedAt: null,
    authorId: author,
    requestLinkId: null,
    authorSignature: signature,
  };
}

/** The owner reading: the editor is a pinned contact whose fingerprint was compared; the stranger is no one's. */
async function rules(writers = [OWNER, EDITOR]): Promise<AuthorRules> {
  const keys = new Map<string, AuthorKey>([
    [OWNER, { signingKey: await exportPublicKey(owner.signing.publicKey), handle: null, verified: true }],
    [EDITOR, { signingKey: await exportPublicKey(editor.signing.publicKey), handle: 'bob', verified: true }],
  ]);
  return { writers: new Set(writers), keyOf: (userId) => Promise.resolve(keys.get(userId)) };
}

async function list(records: NodeRecord[], authorRules: AuthorRules) {
  const unwrap = await nodeKeyUnwrapper(folderKey);
  const opened = await Promise.all(records.map(async (record) => (await openRecord(OWNER, unwrap, record)).node));
  return checkAuthors({ opened, refused: [] }, records, authorRules);
}

async function expectRefused(record: NodeRecord, reason: RegExp, authorRules?: AuthorRules) {
  const { opened, refused } = await list([record], authorRules ?? (await rules()));
  expect(opened).toEqual([]);
  expect(refused.map((error) => [error.nodeId, error.message])).toEqual([[record.id, expect.stringMatching(reason)]]);
  expect(refused[0]!.message).toMatch(/failed its integrity check and was not shown/);
}

describe('node authors, checked when a folder is listed (FORMAT.md 5.2)', () => {
  it("names the editor whose signature verifies, and takes the owner's own and unsigned nodes as the owner's", async () => {
    const [byEditor, byOwner, unsigned] = await Promise.all([fileBy(EDITOR), fileBy(OWNER), fileBy(null)]);
    const { opened, refused } = await list([byEditor, byOwner, unsigned], await rules());
    expect(refused).toEqual([]);
    const author = (record: NodeRecord) => opened.find((node) => node.id === record.id)!.author;
    expect(author(byEditor)).toEqual({ userId: EDITOR, handle: 'bob', verified: true, editor: true, action: 'create' });
    expect(authorLabel(author(byEditor), OWNER, OWNER)).toBe('added by @bob');
    expect(authorLabel(author(byEditor), OWNER, EDITOR)).toBe('added by you');
    expect(author(byOwner)).toMatchObject({ userId: OWNER });
    expect(authorLabel(author(byOwner), OWNER, EDITOR)).toBeNull();
    expect(author(unsigned)).toBeNull();
  });

  it('says "(unverified)" for an author whose key is the server\'s copy, and "changed by" for a change', async () => {
    const record = await fileBy(EDITOR, 'rename');
    const published = await rules();
    const keyOf = async (userId: string) => ({ ...(await published.keyOf(userId))!, verified: false });
    const { opened } = await list([record], { ...published, keyOf });
    expect(authorLabel(opened[0]!.author, OWNER, OWNER)).toBe('changed by @bob (unverified)');
  });

  it('refuses a node credited by the server to another writer than the one who signed it', async () => {
    const record = await fileBy(EDITOR);
    await expectRefused({ ...record, authorId: OWNER }, /does not verify with the signing key of 4d1c1e5a/);
  });

  it('refuses a node whose signature was made for another node or another folder', async () => {
    const [first, second] = await Promise.all([fileBy(EDITOR), fileBy(EDITOR)]);
    await expectRefused({ ...first, authorSignature: second.authorSignature }, /does not verify/);
    const moved = await fileBy(EDITOR);
    // The same node listed as if it had been written elsewhere: the signature named FOLDER.
    const unwrap = await nodeKeyUnwrapper(folderKey);
    const node = { ...(await openRecord(OWNER, unwrap, moved)).node, parentId: crypto.randomUUID() };
    const { refused } = await checkAuthors({ opened: [node], refused: [] }, [moved], await rules());
    expect(refused.map((error) => error.nodeId)).toEqual([moved.id]);
  });

  it('refuses altered metadata or a swapped revision under a valid signature', async () => {
    const record = await fileBy(EDITOR);
    const other = await fileBy(EDITOR);
    // Metadata of another file the same writer signed: it opens (same folder), but is not what this signature covers.
    const swapped = { ...other, authorSignature: record.authorSignature };
    await expectRefused(swapped, /does not verify/);
    const header = decodeBase64url(HEADER);
    header[79]! ^= 1;
    const revision = { ...record.currentRevision!, header: encodeBase64url(header) };
    await expectRefused({ ...record, currentRevision: revision }, /does not verify/);
  });

  it('refuses a bad signature, and a signature that is not one', async () => {
    const record = await fileBy(EDITOR);
    const bytes = decodeBase64url(record.authorSignature!.signature);
    bytes[10]! ^= 1;
    await expectRefused(
      { ...record, authorSignature: { action: 'create', signature: encodeBase64url(bytes) } },
      /does not verify/,
    );
    await expectRefused({ ...record, authorSignature: { action: 'create', signature: 'AAAA' } }, /64 bytes/);
  });

  it('refuses a node signed by an account whose key the reader cannot know', async () => {
    await expectRefused(await fileBy(STRANGER), /no signing key is known for its author 5c0ff000/);
  });

  it('names an author who signed but holds no editor grant the reader knows of (one removed since)', async () => {
    const { opened, refused } = await list([await fileBy(EDITOR)], await rules([OWNER]));
    expect(refused).toEqual([]);
    expect(authorLabel(opened[0]!.author, OWNER, OWNER)).toBe('added by @bob (not an editor you know of)');
  });
});
