/**
 * A share counts as accepted only when the server says so and the account's own sealed record of the shares it
 * accepted (web/src/lib/sharing/accepted-shares.ts) holds it with the grant that verified: a server that marks a share
 * accepted which the user never accepted, or points an accepted id at another grant, gets it shown as waiting, and
 * never opened as an anchor of the key ring.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AccountDocumentResponse, IncomingShare } from '../../shared/api/responses.ts';
import type { PutAccountDocumentRequest } from '../../shared/api/schemas.ts';
import type { GrantTerms } from '../../shared/crypto/index.ts';
import type { UnlockedAccount } from '../../web/src/lib/auth/account-client.ts';
import { seenVersionsInMemory, type SeenVersions } from '../../web/src/lib/integrity/seen-versions.ts';
import type * as SeenVersionsModule from '../../web/src/lib/integrity/seen-versions.ts';
import { acceptShare, receivedShares, removeShare } from '../../web/src/lib/sharing/received-shares.ts';
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
let account: UnlockedAccount;

beforeAll(async () => {
  [me, alice] = await Promise.all([person('me'), person('alice')]);
  account = await unlockedAccount(me);
});

afterEach(() => vi.unstubAllGlobals());

/** A genuine share from alice, as the server lists it. */
async function offered(terms: Partial<GrantTerms> = {}, listed: Partial<IncomingShare> = {}): Promise<IncomingShare> {
  return listedShare(await makeTestGrant({ sender: alice, addressee: me }, terms), 'alice', listed);
}

/**
 * The server: the account, alice's keys, the incoming shares (which it may list as it likes), the answers to them,
 * and the account's documents, kept with their versions as the real server keeps them.
 */
function server(shares: IncomingShare[]) {
  device.seen = seenVersionsInMemory();
  const documents = new Map<string, AccountDocumentResponse>();
  const answers: string[] = [];
  const reply = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status }));
  vi.stubGlobal('fetch', (path: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    const document = /^\/api\/account\/documents\/([a-z-]+)$/.exec(path)?.[1];
    if (document) {
      const stored = documents.get(document) ?? { kind: document, version: 0, sealed: null, updatedAt: null };
      if (method === 'GET') return reply(200, stored);
      const { version, sealed } = JSON.parse(init.body as string) as PutAccountDocumentRequest;
      if (version !== stored.version) return reply(409, { error: { code: 'DOCUMENT_CHANGED', message: 'changed' } });
      const written = { ...stored, version: version + 1, sealed, updatedAt: new Date().toISOString() };
      documents.set(document, written as AccountDocumentResponse);
      return reply(200, written);
    }
    const answer = /^\/api\/shares\/([0-9a-f-]+)(?:\/(accept|decline))?$/.exec(path);
    if (answer && method !== 'GET') {
      const share = shares.find((share) => share.id === answer[1])!;
      share.status = answer[2] === 'accept' ? 'accepted' : 'pending';
      answers.push(`${answer[2] ?? 'remove'} ${share.id}`);
      return reply(200, share);
    }
    const fixed: Record<string, unknown> = {
      '/api/account': account.bundle,
      '/api/shares/incoming': { shares },
      '/api/handles/alice': { userId: alice.id, handle: 'alice', publicKeys: alice.published },
    };
    return fixed[path] === undefined
      ? reply(404, { error: { code: 'NOT_FOUND', message: `no ${path}` } })
      : reply(200, fixed[path]);
  });
  return { documents, answers };
}

const acceptedIds = async () =>
  (await receivedShares(account, [])).shares.filter((share) => share.accepted).map(({ share }) => share.id);

describe('shares accepted on this device', () => {
  it('does not count a share as accepted because the server says so', async () => {
    const planted = await offered({}, { status: 'accepted', acceptedAt: new Date().toISOString() });
    server([planted]);
    const { shares, refused } = await receivedShares(account, []);
    expect(refused).toEqual([]);
    expect(shares.map(({ share, accepted }) => ({ id: share.id, accepted }))).toEqual([
      { id: planted.id, accepted: false },
    ]);
  });

  it('counts a share accepted through the app, records it sealed, and forgets it on Remove', async () => {
    const share = await offered();
    const { documents, answers } = server([share]);
    const [received] = (await receivedShares(account, [])).shares;
    await acceptShare(account, received!);
    expect(answers).toEqual([`accept ${share.id}`]);
    expect(await acceptedIds()).toEqual([share.id]);
    // The record is sealed: the server sees no id of what was accepted.
    const sealed = documents.get('accepted-shares')!.sealed!;
    expect(sealed).not.toContain(share.id);
    expect(sealed).not.toContain(share.nodeId);

    // Accepted on the server alone again after Remove: waiting once more.
    await removeShare(account, (await receivedShares(account, [])).shares[0]!);
    share.status = 'accepted';
    expect(await acceptedIds()).toEqual([]);
  });

  it('does not carry an acceptance over to another grant under the accepted id', async () => {
    const share = await offered();
    server([share]);
    await acceptShare(account, (await receivedShares(account, [])).shares[0]!);
    expect(await acceptedIds()).toEqual([share.id]);

    // The server lists a genuine grant of alice's for another node, or as editor, under the accepted share's id.
    for (const terms of [{ nodeId: crypto.randomUUID() }, { role: 'editor' as const }]) {
      const other = await offered(terms, { id: share.id, status: 'accepted' });
      Object.assign(share, other);
      const { shares } = await receivedShares(account, []);
      expect(shares.map(({ share, accepted }) => ({ id: share.id, accepted }))).toEqual([
        { id: share.id, accepted: false },
      ]);
    }
  });
});
