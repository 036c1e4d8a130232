/**
 * People for the web tests of sharing and contacts: each with fresh key pairs, the public keys as the server publishes
 * them, and the fingerprint a contact card carries; and "me" as the app holds an unlocked account.
 */
import {
  encodeBase64url,
  exportPublicKey,
  fingerprintText,
  generateAccountKeyPairs,
  generateKey,
  wrapPrivateKey,
  type AccountKeyPairs,
} from '../../shared/crypto/index.ts';
import type { UnlockedAccount } from '../../web/src/lib/auth/account-client.ts';

export interface Person {
  id: string;
  handle: string;
  keys: AccountKeyPairs;
  published: { sharing: string; signing: string };
  fingerprint: string;
}

export async function person(handle: string): Promise<Person> {
  const keys = await generateAccountKeyPairs();
  const sharing = await exportPublicKey(keys.sharing.publicKey);
  const signing = await exportPublicKey(keys.signing.publicKey);
  return {
    id: crypto.randomUUID(),
    handle,
    keys,
    published: { sharing: encodeBase64url(sharing), signing: encodeBase64url(signing) },
    fingerprint: await fingerprintText([sharing, signing]),
  };
}

/** `me` signed in and unlocked: a fresh master key and the private keys wrapped under it, as the account bundle holds. */
export async function unlockedAccount(me: Person): Promise<UnlockedAccount> {
  const masterKey = generateKey();
  return {
    userId: me.id,
    masterKey,
    bundle: {
      userId: me.id,
      role: 'user',
      handle: me.handle,
      prfWraps: [],
      passphraseWrap: null,
      recoveryWrap: null,
      privateKeys: {
        sharing: await wrapPrivateKey(masterKey, me.keys.sharing.privateKey, me.id, 'sharing'),
        signing: await wrapPrivateKey(masterKey, me.keys.signing.privateKey, me.id, 'signing'),
      },
      publicKeys: me.published,
    },
  };
}
