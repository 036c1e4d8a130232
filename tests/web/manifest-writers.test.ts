/**
 * Who a reader takes as a folder manifest's writer, and with which key (web/src/lib/files/author-rules.ts), against a
 * server that lies: it lists a made-up editor, passes off a grant of another folder or role, or answers another key
 * for the owner than the one the reader's grant verified with. Such a manifest counts as none: once this device has
 * seen a signed state of the folder, the children the server lists are withheld, and its version is never remembered.
 * A version remembered while the listing was on its way is not taken for a rollback.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChildrenResponse, ShareRecord } from '../../shared/api/responses.ts';
import {
  decodeBase64url,
  encodeBase64url,
  generateNodeKey,
  manifestEntry,
  signFolderManifest,
  type Grant,
} from '../../shared/crypto/index.ts';
import type { Contact } from '../../web/src/lib/contacts/contact-book.ts';
import { authorRules } from '../../web/src/lib/files/author-rules.ts';
import { listChildren } from '../../web/src/lib/files/folder-listing.ts';
import type { KeyRing } from '../../web/src/lib/files/key-ring.ts';
import type { AuthorRules } from '../../web/src/lib/files/node-authors.ts';
import type { NodeRecord, OpenNode } from '../../web/src/lib/files/node-records.ts';
import { checkManifest, manifestWarnings } from '../../web/src/lib/integrity/folder-manifest-check.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import type { ReceivedShare } from '../../web/src/lib/sharing/received-shares.ts';
import { listedShare, makeTestGrant, person, unlockedAccount, type Person } from './people.ts';

const [alice, bob, mallory] = await Promise.all([person('alice'), person('bob'), person('mallory')]);
const FOLDER = crypto.randomUUID();
const ROOT = crypto.randomUUID();
const U32_MAX = 2 ** 32 - 1;
const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));

afterEach(() => vi.unstubAllGlobals());

/** A server answering GETs from `routes`, by path. */
function serve(routes: Record<string, unknown>) {
  vi.stubGlobal('fetch', async (path: string) =>
    path in routes
      ? Response.json(routes[path])
      : Response.json({ error: { code: 'NOT_FOUND', message: `no ${path}` } }, { status: 404 }),
  );
}

const contact = (who: Person): Contact => ({
  handle: who.handle,
  userId: who.id,
  sharingKey: who.published.sharing,
  signingKey: who.published.signing,
  verified: true,
});

/** A share as the owner lists it: what the grant says unless `listed` claims otherwise. */
const given = (grant: Grant, listed: Partial<ShareRecord> = {}): ShareRecord => ({
  id: crypto.randomUUID(),
  nodeId: grant.nodeId,
  kind: grant.kind,
  role: grant.role,
  status: 'accepted',
  recipientId: grant.recipientId,
  recipientHandle: null,
  grant,
  createdAt: new Date().toISOString(),
  acceptedAt: new Date().toISOString(),
  ...listed,
});

function child(): NodeRecord {
  const id = crypto.randomUUID();
  return {
    id,
    parentId: FOLDER,
    kind: 'file',
    encryptedMetadata: random(153),
    currentRevision: { id: crypto.randomUUID(), nodeId: id, number: 1, header: random(80) },
  } as NodeRecord;
}

async function signed(version: number, children: NodeRecord[], writer: Person, key = writer) {
  const entries = await Promise.all(
    children.map((record) =>
      manifestEntry({
        id: record.id,
        kind: record.kind,
        revision: { number: 1, header: decodeBase64url(record.currentRevision!.header) },
        encryptedMetadata: decodeBase64url(record.encryptedMetadata),
      }),
    ),
  );
  const statement = { folderId: FOLDER, ownerId: alice.id, writerId: writer.id, version, children: entries };
  return signFolderManifest(statement, key.keys.signing.privateKey);
}

const opened = (records: NodeRecord[]) => ({
  opened: records.map((record) => ({ id: record.id, parentId: FOLDER, ownerId: alice.id }) as OpenNode),
  refused: [],
});

/** The folder as listed, checked by `rules`, on a device that saw version `seenBefore` of it. */
async function check(
  records: NodeRecord[],
  manifest: Awaited<ReturnType<typeof signed>>,
  rules: AuthorRules,
  seenBefore = 3,
) {
  const seen = seenVersionsInMemory();
  await seen.remember('folder', FOLDER, seenBefore);
  const folder = { id: FOLDER, ownerId: alice.id, records, manifest, seenBefore };
  const findings = await checkManifest(folder, opened(records), rules, seen);
  return {
    ...findings,
    shown: findings.opened.length,
    warnings: manifestWarnings(findings),
    remembered: await seen.highest('folder', FOLDER),
  };
}

describe("the owner's editors: only those whose grant the owner signed", () => {
  const account = unlockedAccount(alice);
  const ownerRules = async (shares: ShareRecord[], contacts: Contact[] = [contact(bob)]) => {
    serve({
      '/api/account': (await account).bundle,
      [`/api/nodes/${FOLDER}/shares`]: { shares },
      // No roster signed yet: the owner's grants stand (sharing/own-roster.ts).
      [`/api/nodes/${FOLDER}/editor-roster`]: { folderId: FOLDER, roster: null },
      '/api/handles/mallory': { userId: mallory.id, handle: 'mallory', publicKeys: mallory.published },
      '/api/handles/bob': { userId: bob.id, handle: 'bob', publicKeys: mallory.published },
    });
    return authorRules({
      account: await account,
      contacts,
      folderId: FOLDER,
      ownerId: alice.id,
      above: [ROOT, FOLDER],
    });
  };

  it("takes a manifest by an editor whose grant verifies with the owner's key and the editor's pinned key", async () => {
    const grant = await makeTestGrant({ sender: alice, addressee: bob }, { nodeId: FOLDER, role: 'editor' });
    const records = [child(), child()];
    const checked = await check(records, await signed(4, records, bob), await ownerRules([given(grant)]));
    expect(checked).toMatchObject({ untrusted: null, shown: 2, withheld: 0, warnings: [], remembered: 4 });
  });

  it('refuses a made-up editor the server lists, withholds the children and never remembers its version', async () => {
    const forged = await makeTestGrant(
      { sender: alice, addressee: mallory, signer: mallory },
      { nodeId: FOLDER, role: 'editor' },
    );
    const records = [child(), child()];
    const manifest = await signed(U32_MAX, records, mallory);
    const checked = await check(records, manifest, await ownerRules([given(forged, { recipientHandle: 'mallory' })]));
    expect(checked.untrusted).toMatch(/not a writer of this folder you know of/);
    expect(checked).toMatchObject({ shown: 0, withheld: 2, remembered: 3 });
    expect(checked.refused.map((error) => error.nodeId).sort()).toEqual(records.map(({ id }) => id).sort());
    expect(checked.warnings).toEqual([
      expect.stringMatching(/^This folder's signed list of contents could not be checked: it was signed by account/),
      'The server showed an older state of this folder (no signed version; this device has seen 3). Items may be missing or out of date.',
      '2 items the server listed are not shown: no signed list of contents this device trusts names them.',
    ]);
  });

  it("refuses an editor's grant of a folder not above this one, one listed as another role, and one not pinned", async () => {
    const elsewhere = await makeTestGrant({ sender: alice, addressee: bob }, { role: 'editor' });
    const viewer = await makeTestGrant({ sender: alice, addressee: bob }, { nodeId: FOLDER, role: 'viewer' });
    const editor = await makeTestGrant({ sender: alice, addressee: bob }, { nodeId: FOLDER, role: 'editor' });
    const records = [child()];
    const manifest = await signed(5, records, bob);
    const listings = [
      [[given(elsewhere, { recipientHandle: 'bob' })], [contact(bob)]],
      [[given(viewer, { role: 'editor', recipientHandle: 'bob' })], [contact(bob)]],
      [[given(editor, { recipientHandle: 'bob' })], []],
    ] as const;
    for (const [shares, contacts] of listings) {
      const checked = await check(records, manifest, await ownerRules([...shares], [...contacts]));
      expect(checked.untrusted).toMatch(/not a writer of this folder you know of/);
      expect(checked).toMatchObject({ shown: 0, withheld: 1, remembered: 3 });
    }
  });
});

describe("a member: the owner's key is the one its grant verified with", () => {
  it("refuses a manifest in the owner's name under another key the server answers for the owner's handle", async () => {
    const account = await unlockedAccount(bob);
    const grant = await makeTestGrant({ sender: alice, addressee: bob }, { nodeId: FOLDER, role: 'editor' });
    const share: ReceivedShare = {
      share: listedShare(grant, 'alice', { status: 'accepted', acceptedAt: new Date().toISOString() }),
      sender: { handle: 'alice', verified: false },
      senderSigningKey: decodeBase64url(alice.published.signing),
      nodeKey: generateNodeKey(),
      accepted: true,
    };
    serve({
      '/api/account': account.bundle,
      '/api/handles/alice': { userId: alice.id, handle: 'alice', publicKeys: mallory.published },
    });
    const rules = await authorRules({
      account,
      contacts: [],
      folderId: FOLDER,
      ownerId: alice.id,
      above: [FOLDER],
      share,
    });
    const records = [child()];
    const forged = await check(records, await signed(U32_MAX, records, alice, mallory), rules);
    expect(forged.untrusted).toMatch(/does not verify/);
    expect(forged).toMatchObject({ shown: 0, withheld: 1, remembered: 3 });
    expect(await check(records, await signed(4, records, alice), rules)).toMatchObject({ untrusted: null, shown: 1 });
  });
});

describe("a member: another editor's manifest it cannot check", () => {
  it('shows the children of one above the version it has seen, with the warning, and withholds one at or below it', async () => {
    const account = await unlockedAccount(bob);
    serve({ '/api/account': account.bundle });
    const rules = await authorRules({ account, contacts: [], folderId: FOLDER, ownerId: alice.id, above: [FOLDER] });
    const records = [child(), child()];
    const newer = await check(records, await signed(4, records, mallory), rules);
    expect(newer).toMatchObject({ shown: 2, withheld: 0, older: null, remembered: 3 });
    expect(newer.warnings).toEqual([
      expect.stringMatching(/^This folder's signed list of contents could not be checked: it was signed by account/),
    ]);
    const replayed = await check(records, await signed(3, records, mallory), rules);
    expect(replayed).toMatchObject({ shown: 0, withheld: 2, remembered: 3 });
  });
});

describe('the version this device remembered, read before the listing', () => {
  it('does not take a version remembered while the listing was on its way for a rollback', async () => {
    const records = [child()];
    const manifest = await signed(5, records, alice);
    const seen: SeenVersions = seenVersionsInMemory();
    await seen.remember('folder', FOLDER, 5);
    vi.stubGlobal('fetch', async () => {
      // Another tab signs version 6 between the request and its answer.
      await seen.remember('folder', FOLDER, 6);
      return Response.json({ children: records, manifest, editorRoster: null } satisfies ChildrenResponse);
    });
    const ring = {
      ownerOf: (nodeId: string) => (nodeId === FOLDER ? alice.id : undefined),
      openChildren: async (_folderId: string, children: NodeRecord[]) => opened(children),
    } as unknown as KeyRing;
    const rules: AuthorRules = {
      writers: new Set([alice.id]),
      keyOf: async (userId) =>
        userId === alice.id
          ? { signingKey: decodeBase64url(alice.published.signing), handle: null, verified: true }
          : undefined,
    };
    const listed = await listChildren(ring, FOLDER, rules, seen);
    expect(listed.warnings).toEqual([]);
    expect(listed.opened.map(({ id }) => id)).toEqual([records[0]!.id]);
  });
});
