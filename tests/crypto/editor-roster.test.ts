import { describe, expect, it } from 'vitest';
import {
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  rosterSignedBytes,
  signEditorRoster,
  verifyEditorRoster,
  type EditorRoster,
} from '../../shared/crypto/index.ts';
import { toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, type VectorJwk } from '../vectors/keys.ts';
import { expectCode } from './assertions.ts';

const owner = 'a11ce000-0000-4000-8000-000000000001';
const folder = 'f01de200-0000-4000-8000-000000000004';
const editorA = 'b0b00000-0000-4000-8000-000000000002';
const editorB = 'ca201000-0000-4000-8000-000000000003';

describe('editor roster vectors (FORMAT.md section 5.4)', () => {
  it.each(vectors.editorRoster)('computes the signed bytes of $name and verifies its signature', async (vector) => {
    const statement = { folderId: vector.folderId, ownerId: vector.ownerId, ...vector.roster };
    expect(toHex(await rosterSignedBytes(statement))).toBe(vector.signedBytes);
    const { publicKey, privateKey } = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
    const ownerKey = await exportPublicKey(publicKey);
    const place = { folderId: vector.folderId, ownerId: vector.ownerId };
    await verifyEditorRoster(vector.roster, place, ownerKey);
    await verifyEditorRoster(await signEditorRoster(statement, privateKey), place, ownerKey);
  });

  it.each(vectors.editorRosterRefusal)('refuses $name with $error', async (vector) => {
    const { publicKey } = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
    await expectCode(
      verifyEditorRoster(
        vector.roster as EditorRoster,
        { folderId: vector.folderId, ownerId: vector.ownerId },
        await exportPublicKey(publicKey),
      ),
      vector.error as 'EDITOR_ROSTER_INVALID' | 'EDITOR_ROSTER_MALFORMED',
    );
  });
});

describe('editor rosters', () => {
  const place = { folderId: folder, ownerId: owner };

  async function signed() {
    const [ownerKeys, a, b] = await Promise.all([1, 2, 3].map(() => generateAccountKeyPairs()));
    const editors = [
      { id: editorB, signingKey: encodeBase64url(await exportPublicKey(b!.signing.publicKey)) },
      { id: editorA, signingKey: encodeBase64url(await exportPublicKey(a!.signing.publicKey)) },
    ];
    const roster = await signEditorRoster({ ...place, version: 2, editors }, ownerKeys!.signing.privateKey);
    return { roster, ownerKey: await exportPublicKey(ownerKeys!.signing.publicKey), editors };
  }

  it('verifies with the owner key in any order of its editors, and with no other key', async () => {
    const { roster, ownerKey, editors } = await signed();
    await verifyEditorRoster({ ...roster, editors: [...editors].reverse() }, place, ownerKey);
    await expectCode(verifyEditorRoster(roster, place, new Uint8Array(editors[0]!.signingKey.length)), 'BAD_KEY');
    const stranger = await exportPublicKey((await generateAccountKeyPairs()).signing.publicKey);
    await expectCode(verifyEditorRoster(roster, place, stranger), 'EDITOR_ROSTER_INVALID', /did not sign it/);
  });

  it('refuses an editor removed, a version out of range and a signature that is not 64 bytes', async () => {
    const { roster, ownerKey } = await signed();
    await expectCode(
      verifyEditorRoster({ ...roster, editors: roster.editors.slice(1) }, place, ownerKey),
      'EDITOR_ROSTER_INVALID',
    );
    await expectCode(verifyEditorRoster({ ...roster, version: 0 }, place, ownerKey), 'EDITOR_ROSTER_MALFORMED');
    await expectCode(verifyEditorRoster({ ...roster, signature: 'AAAA' }, place, ownerKey), 'EDITOR_ROSTER_MALFORMED');
    await expectCode(
      verifyEditorRoster({ ...roster, editors: [{ id: editorA, signingKey: '' }] }, place, ownerKey),
      'EDITOR_ROSTER_MALFORMED',
    );
  });
});
