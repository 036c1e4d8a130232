/**
 * A member's use of its share's editor roster (web/src/lib/integrity/editor-roster-check.ts, docs/FORMAT.md 5.4): a
 * roster its owner signed makes another editor's manifest checkable with the key the owner vouches for; a roster the
 * server forged (an editor added, a key swapped) or rolled back is not used, the member is told so in plain words, and
 * that editor's manifest is treated as before rosters.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  generateNodeKey,
  manifestEntry,
  signEditorRoster,
  signFolderManifest,
  type EditorRoster,
} from '../../shared/crypto/index.ts';
import { authorRules } from '../../web/src/lib/files/author-rules.ts';
import type { NodeRecord, OpenNode } from '../../web/src/lib/files/node-records.ts';
import { withRoster } from '../../web/src/lib/integrity/editor-roster-check.ts';
import { checkManifest, manifestWarnings } from '../../web/src/lib/integrity/folder-manifest-check.ts';
import { seenVersionsInMemory } from '../../web/src/lib/integrity/seen-versions.ts';
import type { ReceivedShare } from '../../web/src/lib/sharing/received-shares.ts';
import { listedShare, makeTestGrant, person, unlockedAccount, type Person } from './people.ts';

const [alice, bob, carol, mallory] = await Promise.all([
  person('alice'),
  person('bob'),
  person('carol'),
  person('mallory'),
]);
const FOLDER = crypto.randomUUID();
const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));

afterEach(() => vi.unstubAllGlobals());

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

async function manifestBy(writer: Person, version: number, records: NodeRecord[]) {
  const children = await Promise.all(
    records.map((record) =>
      manifestEntry({
        id: record.id,
        kind: 'file',
        revision: { number: 1, header: decodeBase64url(record.currentRevision!.header) },
        encryptedMetadata: decodeBase64url(record.encryptedMetadata),
      }),
    ),
  );
  const statement = { folderId: FOLDER, ownerId: alice.id, writerId: writer.id, version, children };
  return signFolderManifest(statement, writer.keys.signing.privateKey);
}

const rosterOf = (version: number, editors: Person[], signer = alice): Promise<EditorRoster> =>
  signEditorRoster(
    {
      folderId: FOLDER,
      ownerId: alice.id,
      version,
      editors: editors.map((editor) => ({ id: editor.id, signingKey: editor.published.signing })),
    },
    signer.keys.signing.privateKey,
  );

/** Bob, an editor of alice's folder, checks the listing carol signed, with the roster the server gives. */
async function bobChecks(roster: EditorRoster | null, seenRoster?: number) {
  const account = await unlockedAccount(bob);
  vi.stubGlobal('fetch', async () => Response.json(account.bundle));
  const grant = await makeTestGrant({ sender: alice, addressee: bob }, { nodeId: FOLDER, role: 'editor' });
  const share: ReceivedShare = {
    share: listedShare(grant, 'alice', { status: 'accepted', acceptedAt: new Date().toISOString() }),
    sender: { handle: 'alice', verified: false },
    senderSigningKey: decodeBase64url(alice.published.signing),
    nodeKey: generateNodeKey(),
    accepted: true,
  };
  const base = await authorRules({
    account,
    contacts: [],
    folderId: FOLDER,
    ownerId: alice.id,
    above: [FOLDER],
    share,
  });
  const seen = seenVersionsInMemory();
  await seen.remember('folder', FOLDER, 3);
  if (seenRoster) await seen.remember('editor-roster', FOLDER, seenRoster);
  const { rules, problem } = await withRoster(base, base.roster!, roster, seen);
  const records = [child(), child()];
  const manifest = await manifestBy(carol, 3, records);
  const opened = records.map((record) => ({ id: record.id, parentId: FOLDER, ownerId: alice.id }) as OpenNode);
  const folder = { id: FOLDER, ownerId: alice.id, records, manifest, seenBefore: 3 };
  const findings = await checkManifest(folder, { opened, refused: [] }, rules, seen);
  return {
    problem,
    shown: findings.opened.length,
    warnings: manifestWarnings(findings),
    remembered: await seen.highest('editor-roster', FOLDER),
  };
}

describe("a member checks another editor's manifest through its share's roster", () => {
  it('takes a manifest by an editor the owner-signed roster names, at the version it has seen', async () => {
    const checked = await bobChecks(await rosterOf(2, [bob, carol]));
    expect(checked).toEqual({ problem: null, shown: 2, warnings: [], remembered: 2 });
  });

  it('refuses a roster with an editor added or a key swapped by the server, saying so', async () => {
    const honest = await rosterOf(2, [bob]);
    const added = { ...honest, editors: [...honest.editors, { id: carol.id, signingKey: carol.published.signing }] };
    const swapped = await rosterOf(2, [bob, carol]);
    swapped.editors[1] = { id: carol.id, signingKey: mallory.published.signing };
    for (const forged of [added, swapped, await rosterOf(2, [bob, carol], mallory)]) {
      const checked = await bobChecks(forged);
      expect(checked.problem).toMatch(
        /^The list of this shared folder's editors that the server gave was refused: .* does not verify with its owner's signing key/,
      );
      // Carol's manifest at the version this device has seen, unchecked, withholds the children as before rosters.
      expect(checked).toMatchObject({ shown: 0, remembered: undefined });
      expect(checked.warnings[0]).toMatch(/could not be checked: it was signed by account/);
    }
  });

  it('does not use a roster older than the one this device has seen, nor none after one, and says so', async () => {
    const older = await bobChecks(await rosterOf(2, [bob, carol]), 3);
    expect(older.problem).toBe(
      "The server showed an older list of this shared folder's editors (version 2; this device has seen 3), so it was not used: someone removed since could be shown as an editor.",
    );
    expect(older).toMatchObject({ shown: 0, remembered: 3 });
    const gone = await bobChecks(null, 3);
    expect(gone.problem).toMatch(/^The server no longer shows the list of this shared folder's editors/);
    expect(gone.shown).toBe(0);
  });
});
