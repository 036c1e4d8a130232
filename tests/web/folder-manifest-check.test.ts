import { describe, expect, it } from 'vitest';
import {
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  manifestEntry,
  signFolderManifest,
  decodeBase64url,
} from '../../shared/crypto/index.ts';
import type { AuthorRules } from '../../web/src/lib/files/node-authors.ts';
import type { NodeRecord, OpenNode } from '../../web/src/lib/files/node-records.ts';
import {
  checkManifest,
  manifestWarnings,
  type ListedFolder,
} from '../../web/src/lib/integrity/folder-manifest-check.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';

const OWNER = 'a11ce000-0000-4000-8000-000000000001';
const STRANGER = '5c0ff000-0000-4000-8000-000000000003';
const FOLDER = 'f01de200-0000-4000-8000-000000000004';
const [owner, stranger] = await Promise.all([generateAccountKeyPairs(), generateAccountKeyPairs()]);
const rules: AuthorRules = {
  writers: new Set([OWNER]),
  keyOf: async (userId) =>
    userId === OWNER
      ? { signingKey: await exportPublicKey(owner.signing.publicKey), handle: null, verified: true }
      : undefined,
};
const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A child as the server lists it; only what the manifest binds matters here. */
function child(kind: 'file' | 'folder' = 'file'): NodeRecord {
  const id = crypto.randomUUID();
  return {
    id,
    parentId: FOLDER,
    kind,
    encryptedMetadata: random(153),
    currentRevision: kind === 'file' ? { id: crypto.randomUUID(), nodeId: id, number: 2, header: random(80) } : null,
  } as NodeRecord;
}

async function signed(version: number, children: NodeRecord[], by = { id: OWNER, keys: owner }) {
  const entries = await Promise.all(
    children.map((record) =>
      manifestEntry({
        id: record.id,
        kind: record.kind,
        revision: record.currentRevision && {
          number: record.currentRevision.number,
          header: decodeBase64url(record.currentRevision.header),
        },
        encryptedMetadata: decodeBase64url(record.encryptedMetadata),
      }),
    ),
  );
  const statement = { folderId: FOLDER, ownerId: OWNER, writerId: by.id, version, children: entries };
  return signFolderManifest(statement, by.keys.signing.privateKey);
}

const listing = (records: NodeRecord[], manifest: ListedFolder['manifest'], seenBefore: number | undefined) => ({
  folder: { id: FOLDER, ownerId: OWNER, records, manifest, seenBefore },
  opened: { opened: records.map((record) => ({ id: record.id }) as OpenNode), refused: [] },
});

async function check(records: NodeRecord[], manifest: ListedFolder['manifest'], seen = seenVersionsInMemory()) {
  const { folder, opened } = listing(records, manifest, await seen.highest('folder', FOLDER));
  const findings = await checkManifest(folder, opened, rules, seen);
  return { ...findings, shown: findings.opened.map(({ id }) => id), warnings: manifestWarnings(findings) };
}

describe("a folder's manifest, checked against its listing", () => {
  it('shows a folder with no manifest yet as listed, and one whose manifest names its children exactly', async () => {
    const children = [child(), child('folder')];
    const seen = seenVersionsInMemory();
    expect(await check(children, null, seen)).toMatchObject({ shown: children.map(({ id }) => id), warnings: [] });
    const checked = await check(children, await signed(3, children), seen);
    expect(checked).toMatchObject({ shown: children.map(({ id }) => id), refused: [], warnings: [] });
    expect(await seen.highest('folder', FOLDER)).toBe(3);
  });

  it('warns when the server shows an older version, or none, than this device has seen', async () => {
    const before = [child()];
    const after = [...before, child()];
    const seen = seenVersionsInMemory();
    const replayed = await signed(4, before);
    await check(after, await signed(6, after), seen);
    expect((await check(before, replayed, seen)).warnings).toEqual([
      'The server showed an older state of this folder (version 4; this device has seen 6). Items may be missing or out of date.',
    ]);
    expect((await check(after, null, seen)).warnings[0]).toMatch(/\(no signed version; this device has seen 6\)/);
    expect(await seen.highest('folder', FOLDER)).toBe(6);
  });

  it('counts the children the manifest names that the server did not show', async () => {
    const children = [child(), child(), child('folder')];
    const manifest = await signed(2, children);
    expect((await check(children.slice(1), manifest)).warnings).toEqual([
      'One item this folder should hold was not shown by the server.',
    ]);
    expect((await check([], manifest)).warnings).toEqual([
      '3 items this folder should hold were not shown by the server.',
    ]);
  });

  it('refuses a child the manifest does not name, and one in another state than it names', async () => {
    const children = [child(), child()];
    const manifest = await signed(2, children);
    const planted = child();
    const renamedBack = { ...children[1]!, encryptedMetadata: random(153) };
    const checked = await check([children[0]!, renamedBack, planted], manifest);
    expect(checked.shown).toEqual([children[0]!.id]);
    expect(checked.refused.map(({ nodeId }) => nodeId).sort()).toEqual([renamedBack.id, planted.id].sort());
  });

  it('says it could not check a manifest signed by an account that is not a writer, or altered, and remembers neither', async () => {
    const children = [child()];
    const seen = seenVersionsInMemory();
    const byStranger = await signed(9, children, { id: STRANGER, keys: stranger });
    expect((await check(children, byStranger, seen)).warnings[0]).toMatch(/could not be checked: .*not a writer/);
    const altered = { ...(await signed(9, children)), version: 10 };
    expect((await check(children, altered, seen)).warnings[0]).toMatch(/could not be checked: .*does not verify/);
    expect(await seen.highest('folder', FOLDER)).toBeUndefined();
  });
});
