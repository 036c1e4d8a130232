/**
 * The account's sealed lists against a server that rolls them back (threat model rows 4 and 10;
 * web/src/lib/sealed-list-document.ts): every write seals a revision one above the copy it changed, this device
 * remembers the highest it opened, and a copy of a lower revision, or none once one was seen, is refused rather than
 * read as the list, so a pinned contact never comes back as a new one, a share left never comes back as accepted, and
 * nothing is written over the newer state. Old lists, sealed without a revision, still open and are upgraded at the
 * next write. The server is held in memory; the lists are really sealed.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccountDocumentResponse } from '../../shared/api/responses.ts';
import type { PutAccountDocumentRequest } from '../../shared/api/schemas.ts';
import { openText, sealText, SEALED_TEXT_PURPOSES } from '../../shared/crypto/index.ts';
import type { UnlockedAccount } from '../../web/src/lib/auth/account-client.ts';
import { changeContacts, loadContacts, withContact, type Contact } from '../../web/src/lib/contacts/contact-book.ts';
import { revisionOf } from '../../web/src/lib/sealed-list-document.ts';
import { ListRolledBackError } from '../../web/src/lib/integrity/sealed-list-revision.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import type * as SeenVersionsModule from '../../web/src/lib/integrity/seen-versions.ts';
import { acceptShare, receivedShares, removeShare } from '../../web/src/lib/sharing/received-shares.ts';
import vectors from '../vectors/coffer.json';
import { listedShare, makeTestGrant, person, unlockedAccount, type Person } from './people.ts';

/** This device's memory of what it has seen, as the app keeps it in IndexedDB, fresh for each test. */
const device = vi.hoisted(() => ({ seen: undefined as unknown as SeenVersions }));
vi.mock('../../web/src/lib/integrity/seen-versions.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof SeenVersionsModule>()),
  openSeenVersions: () => device.seen,
}));

let me: Person;
let bob: Person;
let account: UnlockedAccount;

beforeAll(async () => {
  [me, bob] = await Promise.all([person('me'), person('bob')]);
  account = await unlockedAccount(me);
});

/**
 * The server: the account's documents with their versions as the real server keeps them, every copy it ever stored
 * (to replay), what it serves instead when `served` is set, and the writes it took.
 */
function server() {
  const state = {
    documents: new Map<string, AccountDocumentResponse>(),
    history: [] as AccountDocumentResponse[],
    served: new Map<string, AccountDocumentResponse>(),
    writes: 0,
    incoming: [] as ReturnType<typeof listedShare>[],
  };
  const reply = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', (path: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const kind = /^\/api\/account\/documents\/([a-z-]+)$/.exec(path)?.[1];
    if (kind) {
      const stored = state.documents.get(kind) ?? { kind, version: 0, sealed: null, updatedAt: null };
      if (method === 'GET') return reply(200, state.served.get(kind) ?? stored);
      const { version, sealed } = JSON.parse(init.body as string) as PutAccountDocumentRequest;
      if (version !== stored.version) return reply(409, { error: { code: 'DOCUMENT_CHANGED', message: 'changed' } });
      const written = { ...stored, version: version + 1, sealed, updatedAt: new Date().toISOString() };
      state.documents.set(kind, written as AccountDocumentResponse);
      state.history.push(written as AccountDocumentResponse);
      state.writes++;
      return reply(200, written);
    }
    const answer = /^\/api\/shares\/([0-9a-f-]+)(?:\/(accept|decline))?$/.exec(path);
    if (answer && method !== 'GET') {
      const share = state.incoming.find((share) => share.id === answer[1])!;
      if (answer[2] === 'accept') share.status = 'accepted';
      else state.incoming = state.incoming.filter((other) => other !== share);
      return reply(200, share);
    }
    if (path === '/api/account') return reply(200, account.bundle);
    if (path === '/api/shares/incoming') return reply(200, { shares: state.incoming });
    return reply(404, { error: { code: 'NOT_FOUND', message: `no ${path}` } });
  });
  return state;
}

const contactOfBob = (keys = bob.published): Contact => ({
  handle: 'bob',
  userId: bob.id,
  sharingKey: keys.sharing,
  signingKey: keys.signing,
  verified: true,
});
const contactsBinding = () => ({ purpose: SEALED_TEXT_PURPOSES.contacts, owner: me.id, object: me.id });
const opened = async (document: AccountDocumentResponse) =>
  JSON.parse(await openText(account.masterKey, document.sealed!, contactsBinding())) as Record<string, unknown>;
const ROLLED_BACK = /^The server showed an older copy of your contacts than this device has already seen/;

beforeEach(() => {
  vi.unstubAllGlobals();
  device.seen = seenVersionsInMemory();
});

describe('the contact list against a rollback', () => {
  it('seals a revision one higher at every write', async () => {
    const stored = server();
    await changeContacts(account, (contacts) => withContact(contacts, { ...contactOfBob(), verified: false }));
    await changeContacts(account, (contacts) => withContact(contacts, contactOfBob()));
    const sealed = await Promise.all(stored.history.map(opened));
    expect(sealed.map(({ version, revision }) => ({ version, revision }))).toEqual([
      { version: 2, revision: 1 },
      { version: 2, revision: 2 },
    ]);
    expect((await loadContacts(account)).contacts).toEqual([contactOfBob()]);
  });

  it('refuses a wiped list once this device has seen one, and writes nothing over it', async () => {
    const stored = server();
    await changeContacts(account, (contacts) => withContact(contacts, contactOfBob()));
    stored.served.set('contacts', { kind: 'contacts', version: 0, sealed: null, updatedAt: null });
    await expect(loadContacts(account)).rejects.toThrow(ListRolledBackError);
    await expect(loadContacts(account)).rejects.toThrow(ROLLED_BACK);
    await expect(loadContacts(account)).rejects.toThrow('(none at all; this device has seen revision 1)');
    await expect(changeContacts(account, (contacts) => contacts)).rejects.toThrow(ROLLED_BACK);
    expect(stored.writes).toBe(1);
  });

  it('refuses an older copy, from before Bob was pinned or with his old keys', async () => {
    const stored = server();
    const carol = { ...contactOfBob(), handle: 'carol', userId: crypto.randomUUID() };
    await changeContacts(account, (contacts) => withContact(contacts, carol));
    await changeContacts(account, (contacts) => withContact(contacts, contactOfBob(me.published)));
    await changeContacts(account, (contacts) => withContact(contacts, contactOfBob()));
    for (const older of stored.history.slice(0, 2)) {
      stored.served.set('contacts', older);
      await expect(loadContacts(account)).rejects.toThrow(ROLLED_BACK);
      await expect(changeContacts(account, (contacts) => contacts)).rejects.toThrow(ListRolledBackError);
    }
    expect(stored.writes).toBe(3);
    stored.served.clear();
    expect((await loadContacts(account)).contacts).toEqual([carol, contactOfBob()]);
  });

  it('opens a list sealed before revisions were, upgrades it at the next write, then refuses it replayed', async () => {
    const stored = server();
    const legacy = JSON.stringify({ version: 1, contacts: [contactOfBob()] });
    const old: AccountDocumentResponse = {
      kind: 'contacts',
      version: 4,
      sealed: await sealText(account.masterKey, legacy, contactsBinding()),
      updatedAt: null,
    };
    stored.documents.set('contacts', old);
    expect(await loadContacts(account)).toEqual({ version: 4, contacts: [contactOfBob()] });
    // Seen once, a list without revision still may not be wiped.
    stored.served.set('contacts', { kind: 'contacts', version: 0, sealed: null, updatedAt: null });
    await expect(loadContacts(account)).rejects.toThrow(ROLLED_BACK);
    stored.served.clear();

    await changeContacts(account, (contacts) => contacts);
    expect(await opened(stored.documents.get('contacts')!)).toMatchObject({ version: 2, revision: 1 });
    stored.served.set('contacts', old);
    await expect(loadContacts(account)).rejects.toThrow('(one without a revision; this device has seen revision 1)');
  });

  it.each(vectors.sealedText.filter((vector) => 'listRevision' in vector))(
    'reads the revision of the list vector $name as FORMAT.md section 4 gives it',
    (vector) => {
      expect(revisionOf(JSON.parse(vector.text) as Record<string, unknown>)).toBe(vector.listRevision);
    },
  );

  it('refuses a list whose sealed revision is not a whole number of at least 1', async () => {
    const stored = server();
    for (const revision of [0, -1, 1.5, '3', null]) {
      const text = JSON.stringify({ version: 2, revision, contacts: [] });
      stored.documents.set('contacts', {
        kind: 'contacts',
        version: 1,
        sealed: await sealText(account.masterKey, text, contactsBinding()),
        updatedAt: null,
      });
      await expect(loadContacts(account)).rejects.toThrow('Your contact list is in a format this app does not know');
    }
  });

  it('takes whatever a device that never saw the list is given: the limit of a memory kept per device', async () => {
    const stored = server();
    await changeContacts(account, (contacts) => withContact(contacts, contactOfBob()));
    device.seen = seenVersionsInMemory();
    stored.served.set('contacts', { kind: 'contacts', version: 0, sealed: null, updatedAt: null });
    expect((await loadContacts(account)).contacts).toEqual([]);
  });
});

describe('the accepted shares against a rollback', () => {
  it('refuses an older list that would bring back a share the user removed', async () => {
    const stored = server();
    const share = listedShare(await makeTestGrant({ sender: bob, addressee: me }), 'bob');
    stored.incoming = [share];
    await acceptShare(account, (await receivedShares(account, [contactOfBob()])).shares[0]!);
    const beforeRemove = stored.documents.get('accepted-shares')!;
    await removeShare(account, (await receivedShares(account, [contactOfBob()])).shares[0]!);

    // The server replays the list from before Remove, and lists the share as accepted again.
    stored.served.set('accepted-shares', beforeRemove);
    stored.incoming = [{ ...share, status: 'accepted' }];
    await expect(receivedShares(account, [contactOfBob()])).rejects.toThrow(
      /^The server showed an older copy of your list of accepted shares than this device has already seen \(revision 1; this device has seen revision 2\)/,
    );
  });
});
