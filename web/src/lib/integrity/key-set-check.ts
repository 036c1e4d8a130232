/**
 * The account's key set, checked on the device after every unlock (docs/FORMAT.md section 4.8, threat model row 10):
 * its signature against the signing key this device derives from the private key it just unwrapped (never the
 * server's copy), its account, its public keys and the digests of the wraps the server shows; and its version
 * against the highest this device has seen. A server that serves an older key set (to bring back a removed passkey,
 * an old passphrase or a used recovery code) is named, and no credential change is built on what it shows.
 */
import type { AccountBundle } from '$shared/api/responses.ts';
import {
  CofferCryptoError,
  keySetDifferences,
  verifyKeySet,
  verifyPublishedKeys,
  type KeySet,
  type KeySetSource,
  type VerifiedPublicKeys,
} from '$shared/crypto/index.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import type { SeenVersions } from './seen-versions.ts';

export type KeySetCheck =
  /** The key set verifies, is at least as new as any this device saw, and vouches for what the server shows. */
  | { kind: 'trusted'; keySet: KeySet; publicKeys: VerifiedPublicKeys; unnamedPasskeys: string[] }
  /** An account made before key sets, never seen with one here: this device writes version 1 (trust on first use). */
  | { kind: 'first-use'; publicKeys: VerifiedPublicKeys }
  /** The server shows an older key set than this device saw, or none at all after this device saw one. */
  | { kind: 'rolled-back'; shown: number | null; seen: number }
  /** The key set does not verify, or what the server shows is not what it states. */
  | { kind: 'invalid'; reason: string };

/** The account as the server shows it, and the passkeys it lists, read against the key set and this device's memory. */
export async function checkKeySet(
  account: AccountKeys,
  bundle: AccountBundle,
  passkeyIds: readonly string[],
  seen: SeenVersions,
): Promise<KeySetCheck> {
  let publicKeys: VerifiedPublicKeys;
  try {
    publicKeys = await verifyPublishedKeys(account.masterKey, account.userId, bundle.privateKeys, bundle.publicKeys);
  } catch (error) {
    if (error instanceof CofferCryptoError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  const highest = await seen.highest('key-set', account.userId);
  if (bundle.keySet === null) {
    return highest === undefined
      ? { kind: 'first-use', publicKeys }
      : { kind: 'rolled-back', shown: null, seen: highest };
  }
  let keySet: KeySet;
  try {
    keySet = await verifyKeySet(bundle.keySet, account.userId, publicKeys.signing);
  } catch (error) {
    if (error instanceof CofferCryptoError) return { kind: 'invalid', reason: error.message };
    throw error;
  }
  if (highest !== undefined && keySet.version < highest) {
    return { kind: 'rolled-back', shown: keySet.version, seen: highest };
  }
  const differences = await keySetDifferences(keySet, keySetSource(account.userId, bundle, passkeyIds, publicKeys));
  if (differences.publicKeys) {
    return { kind: 'invalid', reason: "the key set names other public keys than the account's" };
  }
  if (differences.passphrase || differences.recovery) {
    const which = differences.passphrase ? 'passphrase' : 'recovery code';
    return { kind: 'invalid', reason: `the server shows a ${which} wrap the key set does not name` };
  }
  await seen.remember('key-set', account.userId, keySet.version);
  return { kind: 'trusted', keySet, publicKeys, unnamedPasskeys: differences.unnamedPasskeys };
}

/** What the server shows, in the form a key set describes. */
export function keySetSource(
  accountId: string,
  bundle: AccountBundle,
  passkeyIds: readonly string[],
  publicKeys: VerifiedPublicKeys,
): KeySetSource {
  return {
    accountId,
    publicKeys,
    passkeyIds,
    prfWraps: bundle.prfWraps,
    passphraseWrap: bundle.passphraseWrap,
    recoveryWrap: bundle.recoveryWrap,
  };
}

/** The warning, in plain words, for a key set this device cannot trust; undefined when there is none. */
export function keySetWarning(check: KeySetCheck): string | undefined {
  if (check.kind === 'rolled-back') {
    const shown = check.shown === null ? 'no version' : `version ${check.shown}`;
    return (
      `The server showed an older version of your account's keys (${shown}, this device has seen version ${check.seen}). ` +
      "A removed passkey, an old passphrase or a used recovery code may be back. Do not trust this session's changes " +
      "to your passkeys, passphrase or recovery code; contact your server's operator."
    );
  }
  if (check.kind === 'invalid') {
    return (
      `Your account's keys as the server shows them do not match what your account signed (${check.reason}). ` +
      "Someone may have changed how your account is unlocked. Contact your server's operator."
    );
  }
  return undefined;
}
