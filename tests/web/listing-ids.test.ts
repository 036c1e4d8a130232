/**
 * Ids as a hostile server might list them: another spelling of a folder's id (upper case, no hyphens), whose bytes
 * open but whose memory of seen versions would miss, and one id listed twice, an old record beside the current one.
 * Each is refused and counted, never shown. The key ring's workers open on the page here (node-opener.ts is stood in
 * for by open-children.ts, which its workers run).
 */
import { describe, expect, it, vi } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  encryptMetadata,
  exportPublicKey,
  generateAccountKeyPairs,
  generateNodeKey,
  manifestEntry,
  nodeKeyUnwrapper,
  signAuthorship,
  signFolderManifest,
  wrapNodeKey,
} from '../../shared/crypto/index.ts';
import { KeyRing } from '../../web/src/lib/files/key-ring.ts';
import { checkAuthors, type AuthorRules } from '../../web/src/lib/files/node-authors.ts';
import type { NodeRecord, OpenNode } from '../../web/src/lib/files/node-records.ts';
import { openRecord, TamperedNodeError } from '../../web/src/lib/files/open-record.ts';
import { checkManifest, manifestWarnings } from '../../web/src/lib/integrity/folder-manifest-check.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';

vi.mock('../../web/src/lib/files/node-opener.ts', async () => {
  const { openChildren } = await import('../../web/src/lib/files/open-children.ts');
  return {
    NodeOpener: class {
      openChildren = openChildren;
      close() {}
    },
  };
});

const ME = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const me = await generateAccountKeyPairs();
const rules: AuthorRules = {
  writers: new Set([ME]),
  keyOf: async (userId) =>
    userId === ME
      ? { signingKey: await exportPublicKey(me.signing.publicKey), handle: null, verified: true }
      : undefined,
};
const upper = (id: string) => id.toUpperCase();
const unhyphenated = (id: string) => id.replaceAll('-', '');

/** A folder's record as its owner's client writes it (signed), wrapped under `parentKey`; and the folder's key. */
async function folder(parentKey: Uint8Array, parentId: string | null, name: string, id = crypto.randomUUID()) {
  const key = generateNodeKey();
  const place = { ownerId: ME, nodeId: id, parentId, kind: 'folder' as const };
  const encryptedMetadata = await encryptMetadata(key, place, { name });
  const statement = { ...place, action: 'create' as const, revision: null, encryptedMetadata };
  const record: NodeRecord = {
    id,
    parentId,
    kind: 'folder',
    wrappedKey: await wrapNodeKey(parentKey, key, place),
    encryptedMetadata: encodeBase64url(encryptedMetadata),
    currentRevision: null,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:01.000Z',
    trashedAt: null,
    authorId: ME,
    requestLinkId: null,
    authorSignature: await signAuthorship({ ...statement, authorId: ME }, me.signing.privateKey),
  };
  return { record, key };
}

/** A folder's record renamed, as the owner's client rewrites it under the same key (an older or newer state). */
async function renamed(made: { record: NodeRecord; key: Uint8Array }, name: string): Promise<NodeRecord> {
  const place = { ownerId: ME, nodeId: made.record.id, parentId: made.record.parentId, kind: 'folder' as const };
  const encryptedMetadata = await encryptMetadata(made.key, place, { name });
  const statement = { ...place, action: 'rename' as const, revision: null, encryptedMetadata };
  return {
    ...made.record,
    encryptedMetadata: encodeBase64url(encryptedMetadata),
    authorSignature: await signAuthorship({ ...statement, authorId: ME }, me.signing.privateKey),
  };
}

async function manifestOf(folderId: string, version: number, records: NodeRecord[]) {
  const children = await Promise.all(
    records.map((record) =>
      manifestEntry({
        id: record.id,
        kind: record.kind,
        revision: null,
        encryptedMetadata: decodeBase64url(record.encryptedMetadata),
      }),
    ),
  );
  return signFolderManifest({ folderId, ownerId: ME, writerId: ME, version, children }, me.signing.privateKey);
}

async function rooted() {
  const masterKey = generateNodeKey();
  const root = await folder(masterKey, null, 'My files');
  const ring = new KeyRing();
  await ring.openRoot(ME, masterKey, root.record);
  return { ring, masterKey, root };
}

const refusedIds = (refused: TamperedNodeError[]) => refused.map(({ nodeId }) => nodeId).sort();

describe('ids the server spells another way (H3)', () => {
  it('refuses a root given in upper case or without hyphens, naming no part of the id', async () => {
    const masterKey = generateNodeKey();
    const root = await folder(masterKey, null, 'My files');
    for (const id of [upper(root.record.id), unhyphenated(root.record.id)]) {
      const ring = new KeyRing();
      const refusal = await ring.openRoot(ME, masterKey, { ...root.record, id }).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(TamperedNodeError);
      expect((refusal as Error).message).toBe(
        'An item failed its integrity check and was not shown: the server gave an id that is not a UUID in lower case',
      );
      expect(ring.keyOf(id)).toBeUndefined();
    }
  });

  it('refuses a child listed, or claiming its folder, in another spelling, and holds no key under it', async () => {
    const { ring, root } = await rooted();
    const [letters, photos, music] = await Promise.all(
      ['Letters', 'Photos', 'Music'].map((name) => folder(root.key, root.record.id, name)),
    );
    const listed = [
      { ...letters!.record, id: upper(letters!.record.id) },
      { ...photos!.record, id: unhyphenated(photos!.record.id) },
      music!.record,
    ];
    const { opened, refused } = await ring.openChildren(root.record.id, listed);
    expect(opened.map(({ id }) => id)).toEqual([music!.record.id]);
    expect(refusedIds(refused)).toEqual([listed[0]!.id, listed[1]!.id].sort());
    expect(ring.keyOf(listed[0]!.id)).toBeUndefined();
    expect(ring.keyOf(listed[1]!.id)).toBeUndefined();
  });

  it("finds the device's memory of a folder's versions under any spelling of its id", async () => {
    const { root } = await rooted();
    const before = [(await folder(root.key, root.record.id, 'Letters')).record];
    const after = [...before, (await folder(root.key, root.record.id, 'Photos')).record];
    const seen = seenVersionsInMemory();
    const listing = (records: NodeRecord[]) => ({
      opened: records.map((record) => ({ id: record.id }) as OpenNode),
      refused: [],
    });
    const current = {
      id: root.record.id,
      ownerId: ME,
      records: after,
      manifest: await manifestOf(root.record.id, 6, after),
      seenBefore: undefined,
    };
    await checkManifest(current, listing(after), rules, seen);
    const replayed = await manifestOf(root.record.id, 4, before);
    for (const id of [upper(root.record.id), unhyphenated(root.record.id)]) {
      const findings = await checkManifest(
        // The memory is read under the spelling the server gave, as the listing reads it.
        { id, ownerId: ME, records: before, manifest: replayed, seenBefore: await seen.highest('folder', id) },
        listing(before),
        rules,
        seen,
      );
      expect(findings.older).toEqual({ shown: 4, seen: 6 });
    }
  });

  it('takes no manifest whose entries name a child in another spelling, though the bytes it signed are the same', async () => {
    const { root } = await rooted();
    const children = [(await folder(root.key, root.record.id, 'Letters')).record];
    const manifest = await manifestOf(root.record.id, 2, children);
    const respelled = { ...manifest, children: manifest.children.map((entry) => ({ ...entry, id: upper(entry.id) })) };
    const findings = await checkManifest(
      { id: root.record.id, ownerId: ME, records: children, manifest: respelled, seenBefore: undefined },
      { opened: children.map((record) => ({ id: record.id }) as OpenNode), refused: [] },
      rules,
      seenVersionsInMemory(),
    );
    expect(findings.untrusted).toBe("a manifest entry's id is not a UUID in lower case");
  });
});

describe('one id listed twice (H4)', () => {
  it('refuses every copy when the server lists an old record of a folder before its current one', async () => {
    const { ring, root } = await rooted();
    const made = await folder(root.key, root.record.id, 'Old name');
    const current = await renamed(made, 'New name');
    const other = (await folder(root.key, root.record.id, 'Photos')).record;
    const { opened, refused } = await ring.openChildren(root.record.id, [made.record, other, current]);
    expect(opened.map(({ id }) => id)).toEqual([other.id]);
    expect(refusedIds(refused)).toEqual([made.record.id, made.record.id]);
    expect(refused[0]!.reason).toBe('the server listed it more than once');
  });

  it("checks no node's author or manifest entry against another record of its id", async () => {
    const { root } = await rooted();
    const made = await folder(root.key, root.record.id, 'Old name');
    const current = await renamed(made, 'New name');
    const records = [made.record, current];
    const unwrap = await nodeKeyUnwrapper(root.key);
    const oldNode = (await openRecord(ME, unwrap, made.record)).node;
    const authored = await checkAuthors({ opened: [oldNode], refused: [] }, records, rules);
    expect(authored.opened).toEqual([]);
    expect(refusedIds(authored.refused)).toEqual([made.record.id]);

    const manifest = await manifestOf(root.record.id, 3, [current]);
    const findings = await checkManifest(
      { id: root.record.id, ownerId: ME, records, manifest, seenBefore: undefined },
      { opened: [oldNode], refused: [] },
      rules,
      seenVersionsInMemory(),
    );
    expect(findings.opened).toEqual([]);
    expect(refusedIds(findings.refused)).toEqual([made.record.id]);
    expect(manifestWarnings(findings)).toEqual([]);
  });
});

describe("the server's text in the app's warnings (M8)", () => {
  it('names no writer the server gave in any other form than an account id, and shows none of its text', async () => {
    const { root } = await rooted();
    const children = [(await folder(root.key, root.record.id, 'Letters')).record];
    const manifest = await manifestOf(root.record.id, 2, children);
    const text = 'Coffer support: your files are locked, call +1 555 0100';
    const findings = await checkManifest(
      {
        id: root.record.id,
        ownerId: ME,
        records: children,
        manifest: { ...manifest, writerId: text },
        seenBefore: undefined,
      },
      { opened: children.map((record) => ({ id: record.id }) as OpenNode), refused: [] },
      rules,
      seenVersionsInMemory(),
    );
    expect(manifestWarnings(findings)).toEqual([
      "This folder's signed list of contents could not be checked: the server gave its writer as something other than an account id.",
    ]);
  });
});
