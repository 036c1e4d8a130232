/**
 * The account's next key set, for a change to its ways in (a passkey added or removed, a new passphrase or recovery
 * code): the key set the account signed, as this device checks it now, with the change applied and the version one
 * higher, signed with the account's signing key. It is built on the signed key set, never on the server's list, so
 * that a passkey the server slipped in is not signed into the next version; and it is refused when the server shows
 * an older or a broken key set, so that no change is built on a state this device cannot trust.
 */
import type { AccountBundle, PasskeysResponse } from '$shared/api/responses.ts';
import {
  describeKeySet,
  signKeySet,
  unwrapPrivateKey,
  wrapDigest,
  type KeySet,
  type SignedKeySet,
} from '$shared/crypto/index.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import { checkKeySet, keySetSource, keySetWarning } from './key-set-check.ts';
import type { SeenVersions } from './seen-versions.ts';

export type KeySetChange =
  | { addPasskey: string; prfWrapped: string | null }
  | { removePasskey: string }
  | { passphraseWrapped: string }
  | { recoveryWrapped: string };

/** A credential change refused because the server shows a key set this device cannot trust. */
export class KeySetUntrusted extends Error {
  override readonly name = 'KeySetUntrusted';
}

/** Reads the account and its passkeys as the server shows them now. */
export type ShownAccount = () => Promise<{ bundle: AccountBundle; passkeys: PasskeysResponse }>;

export interface NextKeySet {
  signed: SignedKeySet;
  version: number;
}

export async function nextKeySet(
  account: AccountKeys,
  change: KeySetChange,
  shown: ShownAccount,
  seen: SeenVersions,
): Promise<NextKeySet> {
  const { bundle, passkeys } = await shown();
  const ids = passkeys.passkeys.map((passkey) => passkey.id);
  const check = await checkKeySet(account, bundle, ids, seen);
  let current: KeySet;
  if (check.kind === 'trusted') current = check.keySet;
  else if (check.kind === 'first-use') {
    current = await describeKeySet(keySetSource(account.userId, bundle, ids, check.publicKeys), 0);
  } else {
    throw new KeySetUntrusted(`${keySetWarning(check)} Coffer made no change.`);
  }
  const next = await applied(current, change);
  const signingKey = await unwrapPrivateKey(account.masterKey, bundle.privateKeys.signing!, account.userId, 'signing');
  return { signed: await signKeySet(next, signingKey), version: next.version };
}

async function applied(current: KeySet, change: KeySetChange): Promise<KeySet> {
  const next: KeySet = { ...current, version: current.version + 1, passkeys: [...current.passkeys] };
  if ('addPasskey' in change) {
    const wrap = change.prfWrapped === null ? null : await wrapDigest(change.prfWrapped);
    next.passkeys = next.passkeys.filter((passkey) => passkey.credentialId !== change.addPasskey);
    next.passkeys.push({ credentialId: change.addPasskey, wrapDigest: wrap });
  } else if ('removePasskey' in change) {
    next.passkeys = next.passkeys.filter((passkey) => passkey.credentialId !== change.removePasskey);
  } else if ('passphraseWrapped' in change) {
    next.passphraseWrapDigest = await wrapDigest(change.passphraseWrapped);
  } else {
    next.recoveryWrapDigest = await wrapDigest(change.recoveryWrapped);
  }
  return next;
}
