/**
 * People for the web tests of sharing and contacts: each with fresh key pairs, the public keys as the server publishes
 * them, and the fingerprint a contact card carries; "me" as the app holds an unlocked account; and the grants they
 * make, listed as the server lists a share.
 */
import type { IncomingShare } from '../../shared/api/responses.ts';
import {
  encodeBase64url,
  exportPublicKey,
  fingerprintText,
  generateAccountKeyPairs,
  generateKey,
  generateNodeKey,
  makeGrant,
  wrapPrivateKey,
  type AccountKeyPairs,
  type Grant,
  type GrantTerms,
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
      keySet: null,
    },
  };
}

/**
 * A grant signed by `signer` and sealed for `recipient`'s sharing key, of a new folder of `sender`'s shared with
 * `addressee` as viewer unless `terms` say otherwise; a test forging one signs or seals it with another's keys.
 */
export async function makeTestGrant(
  {
    sender,
    addressee,
    signer = sender,
    recipient = addressee,
  }: Record<'sender' | 'addressee', Person> & Partial<Record<'signer' | 'recipient', Person>>,
  terms: Partial<GrantTerms> = {},
): Promise<Grant> {
  return makeGrant({
    terms: {
      senderId: sender.id,
      recipientId: addressee.id,
      ownerId: sender.id,
      nodeId: crypto.randomUUID(),
      kind: 'folder',
      role: 'viewer',
      ...terms,
    },
    nodeKey: generateNodeKey(),
    senderSigningKey: signer.keys.signing.privateKey,
    recipientSharingKey: await exportPublicKey(recipient.keys.sharing.publicKey),
  });
}

/** The share as the server lists it, waiting: by default what the grant says; `listed` is what the server claims instead. */
export function listedShare(grant: Grant, senderHandle: string, listed: Partial<IncomingShare> = {}): IncomingShare {
  return {
    id: crypto.randomUUID(),
    nodeId: grant.nodeId,
    ownerId: grant.ownerId,
    kind: grant.kind,
    role: grant.role,
    status: 'pending',
    senderId: grant.senderId,
    senderHandle,
    grant,
    createdAt: new Date().toISOString(),
    acceptedAt: null,
    ...listed,
  };
}
