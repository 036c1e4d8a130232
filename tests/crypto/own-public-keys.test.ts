import { describe, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  generateMasterKey,
  verifyPublishedKeys,
  wrapPrivateKey,
} from '../../shared/crypto/index.ts';
import { expectBytes, expectCode } from './assertions.ts';

const alice = '6f9a1c3e-1111-4a4a-8b8b-000000000001';
const b64 = (bytes: Uint8Array) => encodeBase64url(bytes);

/** An account as sign-up makes it: wrapped private keys, and the public keys it publishes. */
async function account(userId = alice) {
  const masterKey = generateMasterKey();
  const pairs = await generateAccountKeyPairs();
  const publicKeys = {
    sharing: await exportPublicKey(pairs.sharing.publicKey),
    signing: await exportPublicKey(pairs.signing.publicKey),
  };
  const wrapped = {
    sharing: await wrapPrivateKey(masterKey, pairs.sharing.privateKey, userId, 'sharing'),
    signing: await wrapPrivateKey(masterKey, pairs.signing.privateKey, userId, 'signing'),
  };
  const published = { sharing: b64(publicKeys.sharing), signing: b64(publicKeys.signing) };
  return { masterKey, publicKeys, wrapped, published };
}

describe("the account's own public keys", () => {
  it('accepts the published keys when they are the public halves of the private keys', async () => {
    const { masterKey, publicKeys, wrapped, published } = await account();
    const verified = await verifyPublishedKeys(masterKey, alice, wrapped, published);
    expectBytes(verified.sharing, publicKeys.sharing);
    expectBytes(verified.signing, publicKeys.signing);
  });

  it('refuses a published key of another key pair, for either purpose', async () => {
    const { masterKey, wrapped, published } = await account();
    const other = await account();
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { ...published, sharing: other.published.sharing }),
      'PUBLIC_KEY_MISMATCH',
    );
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { ...published, signing: other.published.signing }),
      'PUBLIC_KEY_MISMATCH',
    );
    // The account's own keys in each other's place.
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { sharing: published.signing, signing: published.sharing }),
      'PUBLIC_KEY_MISMATCH',
    );
  });

  it('refuses a published key that is missing, malformed, or followed by extra bytes', async () => {
    const { masterKey, wrapped, published } = await account();
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { signing: published.signing }),
      'PUBLIC_KEY_MISMATCH',
    );
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { ...published, sharing: 'not base64url!' }),
      'PUBLIC_KEY_MISMATCH',
    );
    const extended = b64(new Uint8Array([...decodeBase64url(published.sharing), 0]));
    await expectCode(
      verifyPublishedKeys(masterKey, alice, wrapped, { ...published, sharing: extended }),
      'PUBLIC_KEY_MISMATCH',
    );
  });

  it('refuses private keys that are missing, of another account, or under another master key', async () => {
    const { masterKey, wrapped, published } = await account();
    await expectCode(
      verifyPublishedKeys(masterKey, alice, { ...wrapped, signing: null }, published),
      'WRAPPED_KEY_INVALID',
    );
    await expectCode(
      verifyPublishedKeys(masterKey, '6f9a1c3e-2222-4a4a-8b8b-000000000002', wrapped, published),
      'WRAPPED_KEY_INVALID',
    );
    await expectCode(verifyPublishedKeys(generateMasterKey(), alice, wrapped, published), 'WRAPPED_KEY_INVALID');
    // A server that swaps in another account's private key and its public key is caught by the wrap's binding.
    const other = await account();
    await expectCode(verifyPublishedKeys(masterKey, alice, other.wrapped, other.published), 'WRAPPED_KEY_INVALID');
  });
});
