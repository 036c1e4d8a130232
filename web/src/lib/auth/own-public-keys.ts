/**
 * The unlocked account's public keys, as the server publishes them now, accepted only once they are shown to be the
 * public halves of the account's private keys (shared/crypto/own-public-keys.ts). Whatever shows the account's own
 * keys or their fingerprint takes them from here.
 */
import { verifyPublishedKeys, type VerifiedPublicKeys } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { AccountBundle, UnlockedAccount } from './account-client.ts';

/** Throws a CofferCryptoError (PUBLIC_KEY_MISMATCH or WRAPPED_KEY_INVALID) when the server's keys are not the account's. */
export async function verifiedOwnPublicKeys(account: UnlockedAccount): Promise<VerifiedPublicKeys> {
  const published = await api<AccountBundle>('GET', '/api/account');
  return verifyPublishedKeys(account.masterKey, account.userId, published.privateKeys, published.publicKeys);
}
