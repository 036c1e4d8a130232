import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  fingerprintText,
  fingerprintWords,
  generateAccountKeyPairs,
  generateNodeKey,
  keyFingerprint,
  LABEL_GRANT_WRAP,
  LABEL_REQUEST_SEAL,
  openRequestFileKey,
  requestTermsBytes,
  sealRequestFileKey,
  signRequestTerms,
  verifyRequestTerms,
  WORDLIST,
  type RequestUploadPlace,
} from '../../shared/crypto/index.ts';
import { fromHex } from '../../shared/crypto/bytes.ts';
import { openSeal, sealToPublicKey } from '../../shared/crypto/ecdh-seal.ts';
import vectors from '../vectors/coffer.json';
import { keyPairFromJwk, publicKeySpki, type VectorJwk } from '../vectors/keys.ts';
import { expectBytes, expectCode } from './assertions.ts';

describe('request-seal vectors (FORMAT.md section 4.5)', () => {
  it.each(vectors.requestSeal)('checks the fingerprint, seals and opens $name', async (vector) => {
    const owner = await keyPairFromJwk(vector.ownerSharingKey as VectorJwk, 'ECDH');
    const keys = {
      sharing: await publicKeySpki(vector.ownerSharingKey as VectorJwk),
      signing: decodeBase64url(vector.ownerSigningPublicKey),
    };
    expect(await fingerprintText([keys.sharing, keys.signing])).toBe(vector.fingerprint);
    const place: RequestUploadPlace = vector;
    const seal = await sealRequestFileKey(keys, vector.fingerprint, decodeBase64url(vector.fileKey), place, {
      ephemeral: await keyPairFromJwk(vector.ephemeralKey as VectorJwk, 'ECDH'),
      iv: fromHex(vector.iv),
      timestamp: vector.timestamp,
    });
    expect(seal).toEqual(vector.seal);
    const fileKey = await openRequestFileKey({ privateKey: owner.privateKey, publicKey: keys.sharing }, seal, place);
    expect(encodeBase64url(fileKey)).toBe(vector.fileKey);
  });
});

describe('request-link seals', () => {
  async function setting() {
    const [owner, server] = await Promise.all([generateAccountKeyPairs(), generateAccountKeyPairs()]);
    const keys = {
      sharing: await exportPublicKey(owner.sharing.publicKey),
      signing: await exportPublicKey(owner.signing.publicKey),
    };
    const substitute = {
      sharing: await exportPublicKey(server.sharing.publicKey),
      signing: await exportPublicKey(server.signing.publicKey),
    };
    const fingerprint = await fingerprintText([keys.sharing, keys.signing]);
    const ownerKey = { privateKey: owner.sharing.privateKey, publicKey: keys.sharing };
    const place: RequestUploadPlace = {
      requestLinkId: 'req-1',
      ownerId: 'a11ce000-0000-4000-8000-000000000001',
      nodeId: 'f11e0000-0000-4000-8000-000000000002',
    };
    return { keys, substitute, fingerprint, ownerKey, place, server };
  }

  it('seal a file key that only the owner opens, for this request and file', async () => {
    const { keys, fingerprint, ownerKey, place } = await setting();
    const fileKey = generateNodeKey();
    const seal = await sealRequestFileKey(keys, fingerprint, fileKey, place);
    expectBytes(await openRequestFileKey(ownerKey, seal, place), fileKey);
    for (const other of [
      { ...place, requestLinkId: 'req-2' },
      { ...place, nodeId: 'f11e0000-0000-4000-8000-000000000003' },
      { ...place, ownerId: 'b0b00000-0000-4000-8000-000000000002' },
    ]) {
      await expectCode(openRequestFileKey(ownerKey, seal, other), 'WRAPPED_KEY_INVALID', /failed authentication/);
    }
  });

  it('refuse to seal to a public key the server substituted, naming both fingerprints in words', async () => {
    const { keys, substitute, fingerprint, place } = await setting();
    const expectedWords = (await fingerprintWords([keys.sharing, keys.signing])).join(' ');
    const servedWords = (await fingerprintWords([substitute.sharing, substitute.signing])).join(' ');
    await expectCode(
      sealRequestFileKey(substitute, fingerprint, generateNodeKey(), place),
      'PUBLIC_KEY_MISMATCH',
      new RegExp(`fingerprint "${servedWords}", but the address you opened expects "${expectedWords}"`),
    );
    // Only the sharing key swapped, the signing key kept: still another fingerprint.
    await expectCode(
      sealRequestFileKey({ ...keys, sharing: substitute.sharing }, fingerprint, generateNodeKey(), place),
      'PUBLIC_KEY_MISMATCH',
      /the keys were substituted/,
    );
  });

  it('carry the whole fingerprint whose first twelve bytes are the words people compare', async () => {
    const { keys, fingerprint } = await setting();
    const digest = await keyFingerprint([keys.sharing, keys.signing]);
    expect(decodeBase64url(fingerprint)).toEqual(digest);
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await fingerprintWords([keys.sharing, keys.signing])).toEqual(
      Array.from(digest.subarray(0, 12), (byte) => WORDLIST[byte]),
    );
  });

  it('refuse a fragment that is not a whole fingerprint', async () => {
    const { keys, fingerprint, place } = await setting();
    const digest = await keyFingerprint([keys.sharing, keys.signing]);
    for (const bad of [fingerprint.slice(0, 16), encodeBase64url(digest.subarray(0, 12)), 'not base64!']) {
      await expectCode(
        sealRequestFileKey(keys, bad, generateNodeKey(), place),
        'PUBLIC_KEY_MISMATCH',
        /a key fingerprint is 32 bytes of base64url/,
      );
    }
  });

  it('refuse a seal whose ephemeral key was swapped', async () => {
    const { keys, fingerprint, ownerKey, place } = await setting();
    const [one, two] = await Promise.all([
      sealRequestFileKey(keys, fingerprint, generateNodeKey(), place),
      sealRequestFileKey(keys, fingerprint, generateNodeKey(), place),
    ]);
    await expectCode(
      openRequestFileKey(ownerKey, { ...one, ephemeralPublicKey: two.ephemeralPublicKey }, place),
      'WRAPPED_KEY_INVALID',
      /failed authentication/,
    );
  });

  it("never open as a grant's seal, nor a grant's as theirs: each has its own label", async () => {
    const { keys, ownerKey } = await setting();
    const binding = { purpose: 'share-key', owner: 'o', object: 'x' };
    const key = generateNodeKey();
    const seal = await sealToPublicKey(LABEL_REQUEST_SEAL, keys.sharing, key, binding);
    expectBytes(await openSeal(LABEL_REQUEST_SEAL, ownerKey.privateKey, ownerKey.publicKey, seal, binding), key);
    await expectCode(
      openSeal(LABEL_GRANT_WRAP, ownerKey.privateKey, ownerKey.publicKey, seal, binding),
      'WRAPPED_KEY_INVALID',
      /failed authentication/,
    );
  });

  it('refuse a sharing key that is not a P-256 point', async () => {
    const { keys, fingerprint, place } = await setting();
    const broken = keys.sharing.slice();
    broken[broken.length - 1]! ^= 1;
    const brokenFingerprint = await fingerprintText([broken, keys.signing]);
    await expectCode(
      sealRequestFileKey({ ...keys, sharing: broken }, brokenFingerprint, generateNodeKey(), place),
      'BAD_KEY',
      /not a P-256 public key/,
    );
    expect(fingerprint).not.toBe(brokenFingerprint);
  });
});

describe('request-terms vectors (FORMAT.md section 4.5)', () => {
  it.each(vectors.requestTerms)(
    'signs the bytes of $name, and verifies its signature only for its terms',
    async (vector) => {
      const terms = {
        requestLinkId: vector.requestLinkId,
        ownerId: vector.ownerId,
        folderId: vector.folderId,
        message: vector.message,
      };
      expectBytes(requestTermsBytes(terms), fromHex(vector.signedBytes));
      const signing = await publicKeySpki(vector.ownerSigningKey as VectorJwk);
      await verifyRequestTerms(signing, vector.signature, terms);
      const signer = await keyPairFromJwk(vector.ownerSigningKey as VectorJwk, 'ECDSA');
      await verifyRequestTerms(signing, await signRequestTerms(signer.privateKey, terms), terms);
      for (const altered of [
        { message: `${vector.message}!` },
        { folderId: vector.ownerId },
        { ownerId: vector.folderId },
      ]) {
        await expectCode(
          verifyRequestTerms(signing, vector.signature, { ...terms, ...altered }),
          'REQUEST_MESSAGE_INVALID',
        );
      }
    },
  );
});
