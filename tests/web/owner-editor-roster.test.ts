/**
 * The owner's device against a server replaying a revoked editor grant (sharing/own-roster.ts): the grant still
 * verifies, so once the folder has a roster the owner signed, only the editors it names count, for the roster the
 * background sync signs next and for the owner's author rules. Removal still goes through; only the owner's grant
 * action adds an editor; with no roster ever seen, the grant listing is taken once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ShareRecord } from '../../shared/api/responses.ts';
import { signEditorRoster, type EditorRoster, type Grant } from '../../shared/crypto/index.ts';
import type { Contact } from '../../web/src/lib/contacts/contact-book.ts';
import { authorRules } from '../../web/src/lib/files/author-rules.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';
import { syncEditorRoster } from '../../web/src/lib/sharing/editor-roster.ts';
import { makeTestGrant, person, unlockedAccount, type Person } from './people.ts';

const [alice, bob, carol] = await Promise.all([person('alice'), person('bob'), person('carol')]);
const FOLDER = crypto.randomUUID();
const account = await unlockedAccount(alice);

afterEach(() => vi.unstubAllGlobals());

const contact = (who: Person): Contact => ({
  handle: who.handle,
  userId: who.id,
  sharingKey: who.published.sharing,
  signingKey: who.published.signing,
  verified: true,
});
const contacts = [contact(bob), contact(carol)];

const listed = (grant: Grant): ShareRecord => ({
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
});
const editorGrant = (who: Person) =>
  makeTestGrant({ sender: alice, addressee: who }, { nodeId: FOLDER, role: 'editor' });

const rosterOf = (version: number, editors: Person[]): Promise<EditorRoster> =>
  signEditorRoster(
    {
      folderId: FOLDER,
      ownerId: alice.id,
      version,
      editors: editors.map((editor) => ({ id: editor.id, signingKey: editor.published.signing })),
    },
    alice.keys.signing.privateKey,
  );

/** A server listing `shares` of FOLDER and storing its roster, starting from `roster`; what it was sent is kept. */
function serve(shares: ShareRecord[], roster: EditorRoster | null) {
  const state = { roster, puts: [] as EditorRoster[] };
  vi.stubGlobal('fetch', async (path: string, init?: RequestInit) => {
    if (path === '/api/account') return Response.json(account.bundle);
    if (path === `/api/nodes/${FOLDER}/shares`) return Response.json({ shares });
    if (path === `/api/nodes/${FOLDER}/editor-roster` && init?.method === 'PUT') {
      state.roster = JSON.parse(String(init.body)) as EditorRoster;
      state.puts.push(state.roster);
      return new Response(null, { status: 204 });
    }
    if (path === `/api/nodes/${FOLDER}/editor-roster`) return Response.json({ folderId: FOLDER, roster: state.roster });
    return Response.json({ error: { code: 'NOT_FOUND', message: `no ${path}` } }, { status: 404 });
  });
  return state;
}

const named = (roster: EditorRoster) => roster.editors.map((editor) => editor.id).sort();
const ownerWriters = async (seen: ReturnType<typeof seenVersionsInMemory>) =>
  (await authorRules({ account, contacts, folderId: FOLDER, ownerId: alice.id, above: [FOLDER], seen })).writers;

describe("a revoked editor's grant the server lists again", () => {
  it('is neither signed into a new roster nor counted by the rules when the owner-signed roster does not name them', async () => {
    const shares = [listed(await editorGrant(bob)), listed(await editorGrant(carol))];
    const seen = seenVersionsInMemory();
    await seen.remember('editor-roster', FOLDER, 3);
    const server = serve(shares, await rosterOf(3, [bob]));
    await syncEditorRoster(account, contacts, FOLDER, { seen });
    expect(server.puts.flatMap(named)).not.toContain(carol.id);
    const writers = await ownerWriters(seen);
    expect(writers.has(bob.id)).toBe(true);
    expect(writers.has(carol.id)).toBe(false);
  });

  it('still lets the sync remove an editor whose grant is gone, and the owner add one by granting', async () => {
    const seen = seenVersionsInMemory();
    const server = serve([listed(await editorGrant(carol))], await rosterOf(3, [bob]));
    await syncEditorRoster(account, contacts, FOLDER, { seen });
    expect(server.puts.map((roster) => [roster.version, named(roster)])).toEqual([[4, []]]);
    await syncEditorRoster(account, contacts, FOLDER, { seen, granting: carol.id });
    expect(server.puts.map((roster) => [roster.version, named(roster)])).toEqual([
      [4, []],
      [5, [carol.id]],
    ]);
    expect(await seen.highest('editor-roster', FOLDER)).toBe(5);
  });

  it('adds no one when the roster this device saw is withheld or rolled back, and counts no grant', async () => {
    const shares = [listed(await editorGrant(bob)), listed(await editorGrant(carol))];
    for (const roster of [null, await rosterOf(2, [bob, carol])]) {
      const seen = seenVersionsInMemory();
      await seen.remember('editor-roster', FOLDER, 3);
      const server = serve(shares, roster);
      await expect(syncEditorRoster(account, contacts, FOLDER, { seen })).rejects.toThrow(
        /no longer gives the list of editors this device has seen \(version 3\)/,
      );
      expect(server.puts).toEqual([]);
      expect([...(await ownerWriters(seen))]).toEqual([alice.id]);
    }
  });

  it('is taken once from the grant listing on a device that never saw a roster of the folder (trust on first use)', async () => {
    const shares = [listed(await editorGrant(bob)), listed(await editorGrant(carol))];
    const seen = seenVersionsInMemory();
    const server = serve(shares, null);
    await syncEditorRoster(account, contacts, FOLDER, { seen });
    expect(server.puts.map(named)).toEqual([[bob.id, carol.id].sort()]);
    expect(await seen.highest('editor-roster', FOLDER)).toBe(1);
  });
});
