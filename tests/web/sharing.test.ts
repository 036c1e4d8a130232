/**
 * The recipient's side of a share (web/src/lib/sharing/received-shares.ts) against a server that lies: a grant is
 * shown only when it verifies with the sender's key (the pinned one for a contact, else the published one, then shown
 * as from an unverified sender) and says exactly what the server lists; and the sender's side
 * (web/src/lib/contacts/contact-book.ts), which stops when the server's keys for a pinned contact are not the pinned ones.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HandleLookupResponse, IncomingShare } from '../../shared/api/responses.ts';
import type { Grant, GrantTerms } from '../../shared/crypto/index.ts';
import type { UnlockedAccount } from '../../web/src/lib/auth/account-client.ts';
import { checkRecipient, KeyChangedError, type Contact } from '../../web/src/lib/contacts/contact-book.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import type * as SeenVersionsModule from '../../web/src/lib/integrity/seen-versions.ts';
import { receivedShares } from '../../web/src/lib/sharing/received-shares.ts';
import { listedShare, makeTestGrant, person, unlockedAccount, type Person } from './people.ts';

/**
 * This device's memory of the lists' revisions (seen-versions.ts), kept in IndexedDB by the app: here in memory, fresh
 * for each server, as a new device would start.
 */
const device = vi.hoisted(() => ({ seen: undefined as unknown as SeenVersions }));
vi.mock('../../web/src/lib/integrity/seen-versions.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof SeenVersionsModule>()),
  openSeenVersions: () => device.seen,
}));

let me: Person;
let alice: Person;
let mallory: Person;
let account: UnlockedAccount;

beforeAll(async () => {
  [me, alice, mallory] = await Promise.all([person('me'), person('alice'), person('mallory')]);
  account = await unlockedAccount(me);
});

afterEach(() => vi.unstubAllGlobals());

/** A grant as `signer` makes it, for `recipient`'s sharing key, of these terms (from alice to me unless they say not). */
const grant = (signer: Person, recipient: Person, terms: Partial<GrantTerms> = {}): Promise<Grant> =>
  makeTestGrant({ sender: alice, addressee: me, signer, recipient }, terms);

/** The share as the server lists it: by default what the grant says; `listed` is what the server claims instead. */
const listed = (grant: Grant, listed: Partial<IncomingShare> = {}): IncomingShare =>
  listedShare(grant, 'alice', listed);

/**
 * A server answering the account, the incoming shares, handle lookups (alice's keys, unless it substitutes) and the
 * account's record of accepted shares, still empty.
 */
function server(shares: IncomingShare[], aliceKeys = alice.published) {
  device.seen = seenVersionsInMemory();
  const answers: Record<string, unknown> = {
    '/api/account': account.bundle,
    '/api/shares/incoming': { shares },
    '/api/account/documents/accepted-shares': { kind: 'accepted-shares', version: 0, sealed: null, updatedAt: null },
    '/api/handles/alice': { userId: alice.id, handle: 'alice', publicKeys: aliceKeys } satisfies HandleLookupResponse,
  };
  vi.stubGlobal('fetch', (path: string) => {
    const answer = answers[path];
    return Promise.resolve(
      answer === undefined
        ? new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: `no ${path}` } }), { status: 404 })
        : new Response(JSON.stringify(answer), { status: 200 }),
    );
  });
}

const asContact = (who: Person, verified: boolean): Contact => ({
  handle: who.handle,
  userId: who.id,
  sharingKey: who.published.sharing,
  signingKey: who.published.signing,
  verified,
});

describe('shares made to the account', () => {
  it('shows a grant that verifies, from an unverified sender when not a contact, verified when one', async () => {
    const good = listed(await grant(alice, me));
    server([good]);
    const unknown = await receivedShares(account, []);
    expect(unknown.refused).toEqual([]);
    expect(unknown.shares.map(({ share, sender }) => ({ id: share.id, sender }))).toEqual([
      { id: good.id, sender: { handle: 'alice', verified: false } },
    ]);
    expect(unknown.shares[0]!.nodeKey).toHaveLength(32);
    const known = await receivedShares(account, [asContact(alice, true)]);
    expect(known.shares[0]!.sender).toEqual({ handle: 'alice', verified: true });
  });

  it('refuses, and does not show, a bad signature, a wrong recipient, node or role, and a forgery in a contact’s name', async () => {
    const forged = listed(await grant(mallory, me));
    const forAnother = listed(await grant(alice, mallory, { recipientId: mallory.id }), { senderHandle: 'alice' });
    const otherRecipient = listed(await grant(alice, me, { recipientId: mallory.id }));
    const moved = listed(await grant(alice, me), { nodeId: crypto.randomUUID() });
    const promoted = listed(await grant(alice, me), { role: 'editor' });
    const good = listed(await grant(alice, me));
    server([forged, forAnother, otherRecipient, moved, promoted, good]);
    const { shares, refused } = await receivedShares(account, []);
    expect(shares.map(({ share }) => share.id)).toEqual([good.id]);
    expect(refused).toHaveLength(5);
    expect(refused.join('\n')).toMatch(/signature does not verify/);
    expect(refused.join('\n')).toMatch(/names another recipient/);
    expect(refused.join('\n')).toMatch(/names another node/);
    expect(refused.join('\n')).toMatch(/names another role/);

    // The server publishes its own key under alice's handle and signs with it: a stranger's share would pass as
    // unverified, but once alice is pinned, only her pinned key is believed.
    const substituted = listed(await grant(mallory, me));
    server([substituted], mallory.published);
    expect((await receivedShares(account, [])).shares[0]!.sender.verified).toBe(false);
    const pinned = await receivedShares(account, [asContact(alice, true)]);
    expect(pinned.shares).toEqual([]);
    expect(pinned.refused).toHaveLength(1);
  });
});

describe('sharing with a pinned contact', () => {
  const found = (who: Person, keys = who.published, userId = who.id): HandleLookupResponse => ({
    userId,
    handle: who.handle,
    publicKeys: keys,
  });

  it('goes on only when the server gives the pinned keys for the pinned account', () => {
    const contacts = [asContact(alice, true)];
    expect(checkRecipient(contacts, found(alice))).toEqual(contacts[0]);
    expect(checkRecipient(contacts, found(mallory))).toBeUndefined();
    const changes = [
      found(alice, { ...alice.published, sharing: mallory.published.sharing }),
      found(alice, { ...alice.published, signing: mallory.published.signing }),
      found(alice, alice.published, mallory.id),
    ];
    for (const change of changes) {
      expect(() => checkRecipient(contacts, change)).toThrow(KeyChangedError);
      expect(() => checkRecipient(contacts, change)).toThrow(/not the ones you pinned.*Nothing was shared/);
    }
  });
});
