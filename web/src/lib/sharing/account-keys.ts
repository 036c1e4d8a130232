/**
 * The unlocked account's own key pairs for sharing: the signing key that signs its grants, and the sharing key pair
 * that opens grants made for it. The private keys unwrap under the master key; the public sharing key is the published
 * one only once shown to be the private key's own half (auth/own-public-keys.ts). Kept per unlock, in memory.
 */
import { unwrapPrivateKey } from '$shared/crypto/index.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';

export interface SharingKeys {
  signing: CryptoKey;
  sharing: { privateKey: CryptoKey; publicKey: Uint8Array };
}

const held = new WeakMap<UnlockedAccount, Promise<SharingKeys>>();

export function sharingKeys(account: UnlockedAccount): Promise<SharingKeys> {
  let keys = held.get(account);
  if (!keys) {
    keys = load(account);
    keys.catch(() => held.delete(account));
    held.set(account, keys);
  }
  return keys;
}

async function load(account: UnlockedAccount): Promise<SharingKeys> {
  const { sharing, signing } = account.bundle.privateKeys;
  if (!sharing || !signing) throw new Error('This account has no sharing keys, so it can neither share nor receive.');
  const [signingKey, sharingKey, published] = await Promise.all([
    unwrapPrivateKey(account.masterKey, signing, account.userId, 'signing'),
    unwrapPrivateKey(account.masterKey, sharing, account.userId, 'sharing'),
    verifiedOwnPublicKeys(account),
  ]);
  return { signing: signingKey, sharing: { privateKey: sharingKey, publicKey: published.sharing } };
}
