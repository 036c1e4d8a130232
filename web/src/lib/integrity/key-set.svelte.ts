/**
 * The unlocked account's key set as this device last checked it (key-set-check.ts): the warning to show when the
 * server shows an older or broken one, and the passkeys the server lists that the key set does not name. An account
 * made before key sets gets its first one here, signed by this device (trust on first use).
 */
import { describeKeySet, signKeySet, unwrapPrivateKey } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import { checkKeySet, keySetSource, keySetWarning, type KeySetCheck } from './key-set-check.ts';
import { openSeenVersions } from './seen-versions.ts';
import { shownAccount } from './shown-account.ts';

class KeySetState {
  check = $state.raw<KeySetCheck | null>(null);
  warning = $derived(this.check ? keySetWarning(this.check) : undefined);
  unnamedPasskeys = $derived(this.check?.kind === 'trusted' ? this.check.unnamedPasskeys : []);
  /**
   * Counts the verifications begun and the forgets: a verification that ends after a newer one began, or after the
   * account was locked or signed out, says nothing about what is shown now and is dropped.
   */
  #generation = 0;

  /** Checks the key set the server shows now; writes version 1 for an account that has none and never had one here. */
  async verify(account: AccountKeys): Promise<void> {
    const generation = ++this.#generation;
    const seen = openSeenVersions(account.userId);
    let shown = await shownAccount();
    let ids = shown.passkeys.passkeys.map((passkey) => passkey.id);
    let check = await checkKeySet(account, shown.bundle, ids, seen);
    if (check.kind === 'first-use') {
      // Once another account may have signed in, this browser's session is no longer the one this key set is for.
      if (generation !== this.#generation) return;
      await writeFirstKeySet(account, shown.bundle, ids, check.publicKeys);
      shown = await shownAccount();
      ids = shown.passkeys.passkeys.map((passkey) => passkey.id);
      check = await checkKeySet(account, shown.bundle, ids, seen);
    }
    if (generation === this.#generation) this.check = check;
  }

  forget(): void {
    this.#generation++;
    this.check = null;
  }
}

async function writeFirstKeySet(
  account: AccountKeys,
  bundle: Parameters<typeof keySetSource>[1],
  ids: string[],
  publicKeys: Parameters<typeof keySetSource>[3],
): Promise<void> {
  const first = await describeKeySet(keySetSource(account.userId, bundle, ids, publicKeys), 1);
  const signingKey = await unwrapPrivateKey(account.masterKey, bundle.privateKeys.signing!, account.userId, 'signing');
  try {
    await api('PUT', '/api/account/key-set', await signKeySet(first, signingKey));
  } catch (error) {
    // Another device of the account wrote its first key set meanwhile: the check that follows reads that one.
    if (!(error instanceof ApiRequestError && error.code === 'KEY_SET_STALE')) throw error;
  }
}

export const keySetState = new KeySetState();
