/**
 * The account, metadata, sealed-text and thumbnail vectors (docs/FORMAT.md sections 4, 4.7, 5 and 5.1), each run
 * through the code the app runs: what a vector opens opens to exactly its values, and what it refuses is refused with
 * its error. tests/interop/python.test.ts runs the same vectors through tools/coffer_decrypt.py.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  decryptMetadata,
  decryptPasskeyLabel,
  decryptThumbnail,
  encodeBase64url,
  encryptMetadata,
  fingerprintText,
  fingerprintWords,
  formatRecoveryCode,
  openText,
  parseRecoveryCode,
  passphraseWrappingSecret,
  prfInput,
  prfWrappingSecret,
  recoveryVerifier,
  recoveryWrappingSecret,
  SEALED_TEXT_PURPOSES,
  unwrapMasterKey,
  unwrapPrivateKey,
  unwrapPrivateKeyBytes,
  verifyPublishedKeys,
  type CryptoErrorCode,
  type KeyPairPurpose,
  type MasterKeyWay,
  type NodeKind,
  type PassphraseParams,
} from '../../shared/crypto/index.ts';
import { fromHex, own, toHex } from '../../shared/crypto/bytes.ts';
import vectors from '../vectors/coffer.json';
import { expectBytes, expectCode } from './assertions.ts';

const [account] = vectors.account;
if (!account) throw new Error('tests/vectors/coffer.json has no account vector');
const masterKey = decodeBase64url(account.masterKey);

describe('account vectors (FORMAT.md 4.7)', () => {
  it('derives the PRF input and the passkey wrapping secret, and unwraps the master key', async () => {
    const { passkey } = account;
    expect(toHex(await prfInput())).toBe(passkey.prfInput);
    const secret = await prfWrappingSecret(fromHex(passkey.prfOutput), decodeBase64url(passkey.salt));
    expect(toHex(secret)).toBe(passkey.wrappingSecret);
    const way = { passkey: passkey.credentialId };
    expectBytes(await unwrapMasterKey(secret, passkey.wrapped, account.userId, way), masterKey);
  });

  it('derives the passphrase wrapping secret and unwraps the master key', async () => {
    const { passphrase } = account;
    const secret = await passphraseWrappingSecret(passphrase.passphrase, passphrase.params as PassphraseParams);
    expect(toHex(secret)).toBe(passphrase.wrappingSecret);
    expectBytes(await unwrapMasterKey(secret, passphrase.wrapped, account.userId, 'passphrase'), masterKey);
  });

  it('reads the recovery code, derives its secret and verifier, and unwraps the master key', async () => {
    const { recovery } = account;
    const key = fromHex(recovery.recoveryKey);
    expect(formatRecoveryCode(key)).toBe(recovery.code);
    for (const typed of [recovery.code, ...recovery.typed]) expectBytes(parseRecoveryCode(typed), key);
    const secret = await recoveryWrappingSecret(key, decodeBase64url(recovery.salt));
    expect(toHex(secret)).toBe(recovery.wrappingSecret);
    const verifier = await recoveryVerifier(key);
    expect(encodeBase64url(verifier, { padding: false })).toBe(recovery.verifier);
    expect(toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', own(verifier))))).toBe(recovery.verifierHash);
    expectBytes(await unwrapMasterKey(secret, recovery.wrapped, account.userId, 'recovery'), masterKey);
  });

  it('refuses the recovery codes it lists', () => {
    for (const code of account.recovery.refused) {
      expect(() => parseRecoveryCode(code), code).toThrow(expect.objectContaining({ code: 'BAD_RECOVERY_CODE' }));
    }
  });

  it('opens each master-key wrap only as its own way in and for its own account', async () => {
    const ways: [MasterKeyWay, string, Uint8Array][] = [
      [{ passkey: account.passkey.credentialId }, account.passkey.wrapped, fromHex(account.passkey.wrappingSecret)],
      ['passphrase', account.passphrase.wrapped, fromHex(account.passphrase.wrappingSecret)],
      ['recovery', account.recovery.wrapped, fromHex(account.recovery.wrappingSecret)],
    ];
    for (const [way, wrapped, secret] of ways) {
      for (const [other] of ways) {
        if (other === way) continue;
        await expectCode(unwrapMasterKey(secret, wrapped, account.userId, other), 'WRAPPED_KEY_INVALID');
      }
      await expectCode(unwrapMasterKey(secret, wrapped, crypto.randomUUID(), way), 'WRAPPED_KEY_INVALID');
    }
  });

  it.each(['sharing', 'signing'] as const)(
    'unwraps the %s private key to its PKCS#8 bytes, whose public key is the published one',
    async (purpose: KeyPairPurpose) => {
      const vector = account.privateKeys[purpose];
      const pkcs8 = await unwrapPrivateKeyBytes(masterKey, vector.wrapped, account.userId, purpose);
      expect(toHex(pkcs8)).toBe(vector.pkcs8);
      const key = await unwrapPrivateKey(masterKey, vector.wrapped, account.userId, purpose);
      expect(key.algorithm).toMatchObject({ name: purpose === 'sharing' ? 'ECDH' : 'ECDSA', namedCurve: 'P-256' });
      const other = purpose === 'sharing' ? 'signing' : 'sharing';
      await expectCode(unwrapPrivateKeyBytes(masterKey, vector.wrapped, account.userId, other), 'WRAPPED_KEY_INVALID');
    },
  );

  it('checks the published public keys against the private keys and gives their fingerprint', async () => {
    const wrapped = { sharing: account.privateKeys.sharing.wrapped, signing: account.privateKeys.signing.wrapped };
    const verified = await verifyPublishedKeys(masterKey, account.userId, wrapped, account.publicKeys);
    const spkis = [verified.sharing, verified.signing];
    expect(spkis.map((spki) => encodeBase64url(spki))).toEqual([
      encodeBase64url(decodeBase64url(account.publicKeys.sharing)),
      encodeBase64url(decodeBase64url(account.publicKeys.signing)),
    ]);
    expect(await fingerprintText(spkis)).toBe(account.fingerprint);
    expect(await fingerprintWords(spkis)).toEqual(account.fingerprintWords);
    const swapped = { sharing: account.publicKeys.signing, signing: account.publicKeys.sharing };
    await expectCode(verifyPublishedKeys(masterKey, account.userId, wrapped, swapped), 'PUBLIC_KEY_MISMATCH');
  });
});

describe('sealed texts for every purpose (FORMAT.md 4)', () => {
  it('has a vector for each purpose of SEALED_TEXT_PURPOSES', () => {
    const purposes = new Set(vectors.sealedText.map((vector) => vector.purpose));
    expect([...purposes].sort()).toEqual(Object.values(SEALED_TEXT_PURPOSES).sort());
  });

  it('opens the passkey label as the account opens it, and only for its passkey', async () => {
    const vector = vectors.sealedText.find((candidate) => candidate.purpose === SEALED_TEXT_PURPOSES.passkeyLabel)!;
    const key = decodeBase64url(vector.wrappingSecret);
    expect(await decryptPasskeyLabel(key, vector.owner, vector.object, vector.sealed)).toBe(vector.text);
    await expectCode(decryptPasskeyLabel(key, vector.owner, 'another', vector.sealed), 'WRAPPED_KEY_INVALID');
  });

  it.each(vectors.sealedText)('does not open $name as another purpose', async (vector) => {
    for (const purpose of Object.values(SEALED_TEXT_PURPOSES).filter((other) => other !== vector.purpose)) {
      const key = decodeBase64url(vector.wrappingSecret);
      await expectCode(openText(key, vector.sealed, { ...vector, purpose }), 'WRAPPED_KEY_INVALID');
    }
  });
});

type MetadataVector = (typeof vectors.metadata)[number];
const placeOf = (vector: MetadataVector) => ({
  ownerId: vector.ownerId,
  nodeId: vector.nodeId,
  parentId: vector.parentId,
  kind: vector.kind as NodeKind,
});

describe('metadata vectors (FORMAT.md 5)', () => {
  it.each(vectors.metadata)('$name: opens to its metadata or is refused with its error', async (vector) => {
    const opening = decryptMetadata(decodeBase64url(vector.nodeKey), placeOf(vector), decodeBase64url(vector.token));
    if ('error' in vector.expected) {
      await expectCode(opening, vector.expected.error as CryptoErrorCode);
    } else {
      // Through JSON, as the vectors are, so that a -0 read from the plaintext compares as the 0 it stands for.
      expect(JSON.parse(JSON.stringify(await opening))).toEqual(vector.expected.metadata);
    }
  });

  it.each(vectors.metadata.filter((vector) => vector.canonical))(
    '$name: the writer makes exactly this token',
    async (vector) => {
      if ('error' in vector.expected) throw new Error('a canonical vector opens');
      const token = await encryptMetadata(
        decodeBase64url(vector.nodeKey),
        placeOf(vector),
        vector.expected.metadata as never,
        { iv: fromHex(vector.iv), timestamp: vector.timestamp },
      );
      expect(encodeBase64url(token)).toBe(vector.token);
    },
  );
});

describe('thumbnail vectors (FORMAT.md 5.1)', () => {
  it.each(vectors.thumbnail)('$name: opens to its image or is refused with its error', async (vector) => {
    const opening = decryptThumbnail(
      decodeBase64url(vector.fileKey),
      vector.fileId,
      vector.revision,
      decodeBase64url(vector.token),
    );
    if ('error' in vector.expected) await expectCode(opening, vector.expected.error as CryptoErrorCode);
    else expect(toHex(await opening)).toBe(vector.expected.image);
  });
});
