/**
 * Opening a contact card (web/src/lib/contacts/contact-card.ts) against a server that may lie: the person is pinned as
 * a verified contact only when the keys the server gives for the handle have the card's fingerprint; keys of another
 * fingerprint are refused and nothing is written; a damaged fragment or an unknown handle is said so plainly. The
 * contact list is really sealed and written, to a server held in memory.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccountDocumentResponse, HandleLookupResponse } from '../../shared/api/responses.ts';
import { decodeBase64url, encodeBase64url } from '../../shared/crypto/index.ts';
import type { UnlockedAccount } from '../../web/src/lib/auth/account-client.ts';
import { loadContacts, type Contact } from '../../web/src/lib/contacts/contact-book.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import type * as SeenVersionsModule from '../../web/src/lib/integrity/seen-versions.ts';
import { acceptCard, CardMismatchError, cardUrl, ownCard } from '../../web/src/lib/contacts/contact-card.ts';
import { person, unlockedAccount, type Person } from './people.ts';

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
/** The server's copy of the sealed contact list, and how many times it was written. */
let document: AccountDocumentResponse;
let writes: number;

beforeAll(async () => {
  [me, alice, mallory] = await Promise.all([person('me'), person('alice'), person('mallory')]);
  account = await unlockedAccount(me);
});

afterEach(() => vi.unstubAllGlobals());

/** A server with an empty contact list that answers alice's handle with `aliceKeys` (her own, unless it substitutes). */
function server(aliceKeys = alice.published) {
  device.seen = seenVersionsInMemory();
  document = { kind: 'contacts', version: 0, sealed: null, updatedAt: null };
  writes = 0;
  const lookups: Record<string, HandleLookupResponse> = {
    '/api/handles/alice': { userId: alice.id, handle: 'alice', publicKeys: aliceKeys },
    '/api/handles/me': { userId: me.id, handle: 'me', publicKeys: me.published },
  };
  const json = (body: unknown, status = 200) => Promise.resolve(new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', (path: string, init: RequestInit) => {
    if (path === '/api/account') return json(account.bundle);
    if (path === '/api/account/documents/contacts' && init.method === 'GET') return json(document);
    if (path === '/api/account/documents/contacts' && init.method === 'PUT') {
      const body = JSON.parse(init.body as string) as { version: number; sealed: string };
      writes++;
      document = { ...document, version: body.version + 1, sealed: body.sealed };
      return json(document);
    }
    if (lookups[path]) return json(lookups[path]);
    return json({ error: { code: 'NO_SUCH_HANDLE', message: `no account has the handle at ${path}` } }, 404);
  });
}

describe('a contact card', () => {
  it('pins the person as a verified contact when the server gives the keys the card names', async () => {
    server();
    const outcome = await acceptCard(account, 'alice', `#${alice.fingerprint}`);
    const expected: Contact = {
      handle: 'alice',
      userId: alice.id,
      sharingKey: alice.published.sharing,
      signingKey: alice.published.signing,
      verified: true,
    };
    expect(outcome).toEqual({ kind: 'verified', contact: expected, before: undefined });
    expect((await loadContacts(account)).contacts).toEqual([expected]);

    // An unverified contact of the same account is upgraded, not added twice.
    const again = await acceptCard(account, 'alice', alice.fingerprint, async (change) =>
      change([{ ...expected, verified: false }]),
    );
    expect(again).toEqual({ kind: 'verified', contact: expected, before: { ...expected, verified: false } });
  });

  it('refuses, and writes nothing, when the server gives keys of another fingerprint', async () => {
    server(mallory.published);
    const opening = acceptCard(account, 'alice', alice.fingerprint);
    await expect(opening).rejects.toThrow(CardMismatchError);
    await expect(opening).rejects.toThrow(
      'The keys the server gave for @alice do not match the card: do not trust this contact. Nothing was added.',
    );
    // Only the sharing key swapped is caught as well.
    server({ ...alice.published, sharing: mallory.published.sharing });
    await expect(acceptCard(account, 'alice', alice.fingerprint)).rejects.toThrow(CardMismatchError);
    expect(writes).toBe(0);
    expect(document.sealed).toBeNull();
  });

  it('says plainly when the fragment is damaged or missing, or the handle unknown', async () => {
    server();
    const flipped = decodeBase64url(alice.fingerprint);
    flipped[0]! ^= 1;
    await expect(acceptCard(account, 'alice', encodeBase64url(flipped, { padding: false }))).rejects.toThrow(
      CardMismatchError,
    );
    for (const fragment of [
      '',
      '#',
      alice.fingerprint.slice(0, 42),
      `${alice.fingerprint}A`,
      `${alice.fingerprint.slice(1)}+`,
    ]) {
      await expect(acceptCard(account, 'alice', fragment)).rejects.toThrow(/link is incomplete or damaged/);
    }
    await expect(acceptCard(account, 'nobody', alice.fingerprint)).rejects.toThrow(
      'No account on this Coffer has the handle @nobody.',
    );
    expect(writes).toBe(0);
  });

  it('is recognized as one’s own, and one’s own card carries the fingerprint of one’s own keys', async () => {
    server();
    const card = await ownCard(account, 'https://coffer.example');
    expect(card).toEqual({ handle: 'me', url: cardUrl('https://coffer.example', 'me', me.fingerprint) });
    expect(card!.url).toBe(`https://coffer.example/c/me#${me.fingerprint}`);
    expect(await acceptCard(account, 'me', me.fingerprint)).toEqual({ kind: 'own', handle: 'me' });
    expect(writes).toBe(0);
  });
});
