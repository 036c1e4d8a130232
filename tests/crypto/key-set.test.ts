import { describe, expect, it } from 'vitest';
import {
  describeKeySet,
  encodeBase64url,
  keySetSignedBytes,
  exportPublicKey,
  generateAccountKeyPairs,
  keySetDifferences,
  keySetStatement,
  signKeySet,
  verifyKeySet,
  wrapDigest,
  type CryptoErrorCode,
  type KeySet,
  type KeySetSource,
  type SignedKeySet,
} from '../../shared/crypto/index.ts';
import { toHex, utf8 } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, type VectorJwk } from '../vectors/keys.ts';
import { expectCode } from './assertions.ts';

const accountId = 'a11ce000-0000-4000-8000-000000000001';
const pairs = await generateAccountKeyPairs();
const signingPublic = await exportPublicKey(pairs.signing.publicKey);
const source: KeySetSource = {
  accountId,
  publicKeys: { sharing: await exportPublicKey(pairs.sharing.publicKey), signing: signingPublic },
  passkeyIds: ['cred-B', 'cred-A'],
  prfWraps: [{ credentialId: 'cred-A', wrapped: 'gAAAAA-prf-wrap-of-A' }],
  passphraseWrap: { wrapped: 'gAAAAA-passphrase-wrap' },
  recoveryWrap: { wrapped: 'gAAAAA-recovery-wrap' },
};
const keySet = await describeKeySet(source, 3);
const signed = await signKeySet(keySet, pairs.signing.privateKey);

/** The same signature over a statement with one field changed, in canonical form. */
const altered = (change: (copy: KeySet) => void): SignedKeySet => {
  const copy = structuredClone(keySet);
  change(copy);
  return { statement: encodeBase64url(keySetStatement(copy), { padding: false }), signature: signed.signature };
};

describe('the key set (FORMAT.md section 4.8)', () => {
  it('states every passkey sorted, with its wrap digest or null, and the passphrase and recovery digests', async () => {
    expect(keySet.passkeys).toEqual([
      { credentialId: 'cred-A', wrapDigest: await wrapDigest('gAAAAA-prf-wrap-of-A') },
      { credentialId: 'cred-B', wrapDigest: null },
    ]);
    expect(keySet.passphraseWrapDigest).toBe(await wrapDigest('gAAAAA-passphrase-wrap'));
    expect(keySet.version).toBe(3);
  });

  it("verifies with the account's signing key and returns what it states", async () => {
    expect(await verifyKeySet(signed, accountId, signingPublic)).toEqual(keySet);
  });

  const fakeDigest = encodeBase64url(new Uint8Array(32).fill(7), { padding: false });
  const otherKey = encodeBase64url(new Uint8Array(91).fill(1), { padding: false });
  it.each<[string, (copy: KeySet) => void]>([
    ['the version', (copy) => (copy.version = 4)],
    ['the sharing key', (copy) => (copy.publicKeys.sharing = otherKey)],
    ['the signing key', (copy) => (copy.publicKeys.signing = otherKey)],
    ['a passkey added', (copy) => copy.passkeys.push({ credentialId: 'cred-C', wrapDigest: null })],
    ['a passkey removed', (copy) => copy.passkeys.pop()],
    ['a passkey wrap digest', (copy) => (copy.passkeys[0]!.wrapDigest = fakeDigest)],
    ['the passphrase digest', (copy) => (copy.passphraseWrapDigest = null)],
    ['the recovery digest', (copy) => (copy.recoveryWrapDigest = fakeDigest)],
    ['the account', (copy) => (copy.accountId = 'b0b00000-0000-4000-8000-000000000002')],
  ])('refuses a key set whose %s was altered', async (_field, change) => {
    await expectCode(verifyKeySet(altered(change), accountId, signingPublic), 'KEY_SET_INVALID');
  });

  it("refuses a key set signed by another key, or stating another account, even when that account's key signed it", async () => {
    const stranger = await generateAccountKeyPairs();
    await expectCode(
      verifyKeySet(await signKeySet(keySet, stranger.signing.privateKey), accountId, signingPublic),
      'KEY_SET_INVALID',
      /not signed by this account/,
    );
    const otherAccount = { ...keySet, accountId: 'b0b00000-0000-4000-8000-000000000002' };
    await expectCode(
      verifyKeySet(await signKeySet(otherAccount, pairs.signing.privateKey), accountId, signingPublic),
      'KEY_SET_INVALID',
      /names another account than the one it is read for/,
    );
  });

  it('refuses a statement in any form but the canonical one, and a malformed signature', async () => {
    const spaced = utf8(JSON.stringify(keySet, null, 1));
    const { version, ...rest } = keySet;
    const reordered = utf8(JSON.stringify({ version, ...rest }));
    for (const bytes of [spaced, reordered, utf8('{}'), utf8('not json')]) {
      const statement = encodeBase64url(bytes, { padding: false });
      await expectCode(verifyKeySet({ ...signed, statement }, accountId, signingPublic), 'KEY_SET_MALFORMED');
    }
    await expectCode(verifyKeySet({ ...signed, signature: 'AAAA' }, accountId, signingPublic), 'KEY_SET_MALFORMED');
    await expectCode(verifyKeySet(null, accountId, signingPublic), 'KEY_SET_MALFORMED');
  });

  it('finds what the server shows beyond the key set: a passkey it does not name, another wrap, other keys', async () => {
    expect(await keySetDifferences(keySet, source)).toEqual({
      publicKeys: false,
      unnamedPasskeys: [],
      passphrase: false,
      recovery: false,
    });
    const replayed: KeySetSource = {
      ...source,
      passkeyIds: [...source.passkeyIds, 'cred-removed'],
      prfWraps: [{ credentialId: 'cred-A', wrapped: 'gAAAAA-an-older-wrap' }],
      passphraseWrap: { wrapped: 'gAAAAA-old-passphrase' },
      recoveryWrap: { wrapped: 'gAAAAA-used-recovery' },
      publicKeys: { ...source.publicKeys, sharing: new Uint8Array(91) },
    };
    expect(await keySetDifferences(keySet, replayed)).toEqual({
      publicKeys: true,
      unnamedPasskeys: ['cred-A', 'cred-removed'],
      passphrase: true,
      recovery: true,
    });
  });

  it('takes a way in the key set names but the server no longer shows (a used recovery code) as no difference', async () => {
    const used = { ...source, recoveryWrap: null, passphraseWrap: null };
    expect((await keySetDifferences(keySet, used)).recovery).toBe(false);
    expect((await keySetDifferences(keySet, used)).passphrase).toBe(false);
  });
});

describe('key set vectors (FORMAT.md section 4.8)', () => {
  it.each(vectors.keySet)(
    'reproduces the statement and signed bytes of $name, and verifies its signature',
    async (vector) => {
      const keySet = vector.keySet as KeySet;
      expect(encodeBase64url(keySetStatement(keySet), { padding: false })).toBe(vector.statement);
      expect(toHex(keySetSignedBytes(keySetStatement(keySet)))).toBe(vector.signedBytes);
      const key = await keyPairFromJwk(vector.signingKey as VectorJwk, 'ECDSA');
      const publicKey = await exportPublicKey(key.publicKey);
      const signedVector = { statement: vector.statement, signature: vector.signature };
      expect(await verifyKeySet(signedVector, keySet.accountId, publicKey)).toEqual(keySet);
      expect(await verifyKeySet(await signKeySet(keySet, key.privateKey), keySet.accountId, publicKey)).toEqual(keySet);
      for (const refused of vector.refused) {
        const signature = 'signature' in refused ? refused.signature : vector.signature;
        const signedRefused = { statement: refused.statement, signature };
        await expectCode(verifyKeySet(signedRefused, keySet.accountId, publicKey), refused.code as CryptoErrorCode);
      }
    },
  );
});
