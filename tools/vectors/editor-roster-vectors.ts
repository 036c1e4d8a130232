/**
 * Editor roster vectors (docs/FORMAT.md section 5.4): an owner's roster of two editors, and one with none (every
 * editor removed). Each editor's signing key is a seeded P-256 key in SPKI form; the signed bytes and a signature that
 * verifies are given, kept from the previous run when still valid (kept-signature.ts says why).
 */
import { toHex } from '../../shared/crypto/bytes.ts';
import {
  encodeBase64url,
  rosterSignedBytes,
  signEditorRoster,
  type EditorRoster,
  type RosterEditor,
} from '../../shared/crypto/index.ts';
import { keyPairFromJwk, type VectorJwk } from '../../tests/vectors/keys.ts';
import { seededJwk } from './deterministic.ts';
import { keptSignature } from './kept-signature.ts';

export interface EditorRosterVector {
  name: string;
  /** The owner's signing key. */
  signingKey: VectorJwk;
  folderId: string;
  ownerId: string;
  signedBytes: string;
  roster: EditorRoster;
}

const OWNER_ID = 'c0ffee00-0000-4000-8000-0000000000aa';
const FOLDER_ID = 'c0ffee00-0000-4000-8000-000000000002';
const EDITOR_IDS = ['c0ffee00-0000-4000-8000-0000000000cc', 'c0ffee00-0000-4000-8000-0000000000bb'];

async function spkiOf(jwk: VectorJwk): Promise<string> {
  const { publicKey } = await keyPairFromJwk(jwk, 'ECDSA');
  return encodeBase64url(new Uint8Array(await crypto.subtle.exportKey('spki', publicKey)));
}

export async function editorRosterVectors(previous: EditorRosterVector[] | undefined) {
  const cases: [string, number, string[]][] = [
    ['two-editors', 4, EDITOR_IDS],
    ['no-editors', 5, []],
  ];
  const vectors: EditorRosterVector[] = [];
  for (const [name, version, ids] of cases) {
    const signingKey = seededJwk(`coffer editor roster vector ${name} owner signing key`);
    // Listed in another order than the signed one (by id).
    const editors: RosterEditor[] = [];
    for (const id of ids) {
      editors.push({ id, signingKey: await spkiOf(seededJwk(`coffer editor roster vector ${name} editor ${id}`)) });
    }
    const statement = { folderId: FOLDER_ID, ownerId: OWNER_ID, version, editors };
    const owner = await keyPairFromJwk(signingKey, 'ECDSA');
    const signedBytes = await rosterSignedBytes(statement);
    const before = previous?.find((vector) => vector.name === name);
    const signature = await keptSignature(
      before && { signedBytes: before.signedBytes, signature: before.roster.signature },
      signedBytes,
      owner.publicKey,
      async () => (await signEditorRoster(statement, owner.privateKey)).signature,
    );
    vectors.push({
      name,
      signingKey,
      folderId: FOLDER_ID,
      ownerId: OWNER_ID,
      signedBytes: toHex(signedBytes),
      roster: { version, editors, signature },
    });
  }
  return vectors;
}

/** A roster a member refuses, and the error it refuses it with. */
export interface EditorRosterRefusalVector {
  name: string;
  signingKey: VectorJwk;
  folderId: string;
  ownerId: string;
  roster: EditorRoster;
  error: 'EDITOR_ROSTER_INVALID' | 'EDITOR_ROSTER_MALFORMED';
}

/**
 * Refusals (docs/FORMAT.md section 5.4), each a change a server could make to the first vector: checked for another
 * folder or owner, an editor added, an editor's key swapped for another editor's, an older version, an editor named
 * twice, and an id in upper case.
 */
export function editorRosterRefusalVectors(vectors: EditorRosterVector[]): EditorRosterRefusalVector[] {
  const base = vectors.find((vector) => vector.roster.editors.length > 1)!;
  const { roster } = base;
  const [first, second] = roster.editors as [RosterEditor, RosterEditor];
  const added = { id: 'c0ffee00-0000-4000-8000-0000000000dd', signingKey: first.signingKey };
  const cases: [
    string,
    Partial<EditorRosterRefusalVector>,
    Partial<EditorRoster>,
    EditorRosterRefusalVector['error'],
  ][] = [
    ['another-folder', { folderId: 'c0ffee00-0000-4000-8000-000000000003' }, {}, 'EDITOR_ROSTER_INVALID'],
    ['another-owner', { ownerId: first.id }, {}, 'EDITOR_ROSTER_INVALID'],
    ['editor-added', {}, { editors: [first, second, added] }, 'EDITOR_ROSTER_INVALID'],
    ['key-swapped', {}, { editors: [{ ...first, signingKey: second.signingKey }, second] }, 'EDITOR_ROSTER_INVALID'],
    ['older-version', {}, { version: roster.version - 1 }, 'EDITOR_ROSTER_INVALID'],
    ['editor-named-twice', {}, { editors: [first, second, first] }, 'EDITOR_ROSTER_MALFORMED'],
    ['upper-case-id', {}, { editors: [{ ...first, id: first.id.toUpperCase() }, second] }, 'EDITOR_ROSTER_MALFORMED'],
  ];
  return cases.map(([name, place, change, error]) => ({
    name,
    signingKey: base.signingKey,
    folderId: place.folderId ?? base.folderId,
    ownerId: place.ownerId ?? base.ownerId,
    roster: { ...roster, ...change },
    error,
  }));
}
