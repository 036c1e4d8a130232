/**
 * The shares made to this account (issue 25, point 5), each shown only once its grant is proven the sender's
 * (shared/crypto/grant.ts): signed by the signing key pinned for a contact, or for a sender not yet a contact by the
 * key the server publishes for them, which makes the share "from an unverified sender"; and saying exactly the
 * sender, this account, the node, its owner, kind and role the server lists. A grant that fails is refused and
 * counted, never shown, like any other item that fails its checks. A share is accepted only when the server says so
 * and the account's own sealed record of its answers holds it with this grant (accepted-shares.ts); one the server
 * alone calls accepted waits for an answer like a new one.
 */
import type { HandleLookupResponse, IncomingShare, IncomingSharesResponse } from '$shared/api/responses.ts';
import { CofferCryptoError, decodeBase64url, openGrant } from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import type { Contact } from '../contacts/contact-book.ts';
import { forgetAcceptance, isRecorded, loadAcceptances, recordAcceptance } from './accepted-shares.ts';
import { sharingKeys } from './account-keys.ts';
import { findPerson } from './find-person.ts';

export interface ReceivedShare {
  share: IncomingShare;
  /** Who signed the grant: their handle, and whether they are a contact whose fingerprint was compared. */
  sender: { handle: string | null; verified: boolean };
  /**
   * The signing key the grant verified with: the only key this share lets the reader take as its sender's, so that
   * the server cannot answer one key for the grant and another for what the sender signs in the folder.
   */
  senderSigningKey: Uint8Array;
  nodeKey: Uint8Array;
  /** Accepted by the server's list and by the account's own record (accepted-shares.ts): only then is it opened. */
  accepted: boolean;
}

export interface Received {
  shares: ReceivedShare[];
  /** Shares whose grant failed its checks, with why, for the console: never shown. */
  refused: string[];
}

class RefusedGrant extends Error {}

export async function receivedShares(account: UnlockedAccount, contacts: Contact[]): Promise<Received> {
  const [{ shares }, acceptances, keys] = await Promise.all([
    api<IncomingSharesResponse>('GET', '/api/shares/incoming'),
    loadAcceptances(account),
    sharingKeys(account),
  ]);
  const lookups = new Map<string, Promise<HandleLookupResponse>>();
  const published = (handle: string) => {
    let found = lookups.get(handle.toLowerCase());
    if (!found) lookups.set(handle.toLowerCase(), (found = findPerson(handle)));
    return found;
  };

  const opened = await Promise.all(
    shares.map(async (share): Promise<ReceivedShare | string> => {
      try {
        const { signingKey, sender } = await senderKey(share, contacts, published);
        const senderSigningKey = decodeBase64url(signingKey);
        const nodeKey = await openGrant(share.grant, {
          senderSigningKey,
          recipientSharingKey: keys.sharing,
          expected: {
            senderId: share.senderId,
            recipientId: account.userId,
            ownerId: share.ownerId,
            nodeId: share.nodeId,
            kind: share.kind,
            role: share.role,
          },
        });
        const accepted = share.status === 'accepted' && isRecorded(acceptances, share);
        return { share, sender, senderSigningKey, nodeKey, accepted };
      } catch (error) {
        if (error instanceof RefusedGrant || error instanceof CofferCryptoError) {
          return `share ${share.id.slice(0, 8)}: ${error.message}`;
        }
        throw error;
      }
    }),
  );
  const refused = opened.filter((result) => typeof result === 'string');
  for (const reason of refused) console.warn('A share was refused:', reason);
  return { shares: opened.filter((result) => typeof result !== 'string'), refused };
}

async function senderKey(
  share: IncomingShare,
  contacts: Contact[],
  published: (handle: string) => Promise<HandleLookupResponse>,
): Promise<{ signingKey: string; sender: ReceivedShare['sender'] }> {
  const pinned = contacts.find((contact) => contact.userId === share.senderId);
  if (pinned) return { signingKey: pinned.signingKey, sender: { handle: pinned.handle, verified: pinned.verified } };
  if (!share.senderHandle) throw new RefusedGrant('its sender has no handle, so their key cannot be looked up');
  let found: HandleLookupResponse;
  try {
    found = await published(share.senderHandle);
  } catch (error) {
    if (error instanceof ApiRequestError && error.status === 404) {
      throw new RefusedGrant(`no account has the handle @${share.senderHandle} now`);
    }
    throw error;
  }
  if (found.userId !== share.senderId || !found.publicKeys.signing) {
    throw new RefusedGrant(`@${share.senderHandle} is not the account that the share says sent it`);
  }
  return { signingKey: found.publicKeys.signing, sender: { handle: found.handle, verified: false } };
}

/** Recorded as accepted on this device first, then told to the server, which gives access from then on. */
export async function acceptShare(account: UnlockedAccount, { share }: ReceivedShare): Promise<void> {
  await recordAcceptance(account, share);
  await api('POST', `/api/shares/${share.id}/accept`);
}

/** Taken off the record first, so that what the server does with the answer opens nothing on this device. */
export async function declineShare(account: UnlockedAccount, { share }: ReceivedShare): Promise<void> {
  await forgetAcceptance(account, share.id);
  await api('POST', `/api/shares/${share.id}/decline`);
}

/** The recipient's "Remove": the share leaves its list and gives no more access; the owner's items are untouched. */
export async function removeShare(account: UnlockedAccount, { share }: ReceivedShare): Promise<void> {
  await forgetAcceptance(account, share.id);
  await api('DELETE', `/api/shares/${share.id}`);
}
