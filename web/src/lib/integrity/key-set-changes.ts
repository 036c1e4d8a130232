/**
 * Sends a change to the account's ways in together with the account's next key set (next-key-set.ts), and remembers
 * its version on this device once the server took it.
 */
import type { SignedKeySet } from '$shared/crypto/index.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import { nextKeySet, type KeySetChange } from './next-key-set.ts';
import { openSeenVersions } from './seen-versions.ts';
import { shownAccount } from './shown-account.ts';

export async function withNextKeySet<T>(
  account: AccountKeys,
  change: KeySetChange,
  send: (keySet: SignedKeySet) => Promise<T>,
): Promise<T> {
  const seen = openSeenVersions(account.userId);
  const next = await nextKeySet(account, change, shownAccount, seen);
  const result = await send(next.signed);
  await seen.remember('key-set', account.userId, next.version);
  return result;
}
