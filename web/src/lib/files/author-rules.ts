/**
 * The rules node-authors.ts and folder-manifest-check.ts check a folder's writers by, from what this reader can
 * verify rather than what the server says. Who may write there: the owner; for the owner, each editor whose grant of
 * this folder or a folder above it (as the owner's device opened them) verifies with the owner's own signing key and
 * the sharing key pinned for the editor, and whom the owner's own roster of that folder names when it has one (a
 * revoked grant still verifies: sharing/own-roster.ts); for a member, itself when its share makes it an editor. Where each writer's
 * key comes from: the reader's own; for a member, the owner's is exactly the key its share's grant verified with
 * (received-shares.ts); otherwise the key pinned for a contact. The server's lookup of a handle is never asked: it
 * could name a made-up editor, or answer one key for the grant and another here.
 */
import type { NodeSharesResponse, ShareRecord } from '$shared/api/responses.ts';
import { CofferCryptoError, decodeBase64url, verifyGrant } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';
import type { Contact } from '../contacts/contact-book.ts';
import type { SeenVersions } from '../integrity/seen-versions.ts';
import { ownRosters, rosterAllows } from '../sharing/own-roster.ts';
import type { ReceivedShare } from '../sharing/received-shares.ts';
import type { AuthorKey, AuthorRules } from './node-authors.ts';

export interface FolderReader {
  account: UnlockedAccount;
  contacts: Contact[];
  /** The folder being listed and the owner of its tree. */
  folderId: string;
  ownerId: string;
  /** The folder and the folders above it, as the reader opened them: an owner's editor grant counts only on these. */
  above: readonly string[];
  /** For a member: the share the folder was reached through, as its grant verified. */
  share?: ReceivedShare | undefined;
  /** The versions this device has seen: for the owner, an editor roster older than one seen is not taken. */
  seen?: SeenVersions | undefined;
}

export async function authorRules(reader: FolderReader): Promise<AuthorRules> {
  const { account, contacts, ownerId, share } = reader;
  let own: Promise<Uint8Array> | undefined;
  const ownKey = () => (own ??= verifiedOwnPublicKeys(account).then((keys) => keys.signing));
  const pinnedFor = (userId: string) => contacts.find((contact) => contact.userId === userId);

  const writers = new Set([ownerId]);
  const signers = new Set([ownerId]);
  if (ownerId === account.userId) {
    const { shares } = await api<NodeSharesResponse>('GET', `/api/nodes/${reader.folderId}/shares`);
    const above = new Set(reader.above);
    const rosterOf = ownRosters(account.userId, ownKey, reader.seen);
    for (const given of shares) {
      if (given.role !== 'editor' || given.status === 'declined' || !above.has(given.nodeId)) continue;
      const pinned = pinnedFor(given.recipientId);
      if (!pinned || !(await ownGrantVerifies(given, account.userId, await ownKey(), pinned))) continue;
      if (rosterAllows(await rosterOf(given.nodeId), given.recipientId)) {
        writers.add(given.recipientId);
        signers.add(given.recipientId);
      }
    }
  } else {
    if (share?.share.role === 'editor') writers.add(account.userId);
    signers.add(account.userId);
    // A member cannot see the owner's grants to others: a manifest signed by another editor is taken when the reader
    // pinned them as a contact.
    for (const contact of contacts) signers.add(contact.userId);
  }

  const ownerKey = share?.share.senderId === ownerId ? share : undefined;
  const keyOf = async (userId: string): Promise<AuthorKey | undefined> => {
    if (userId === account.userId) return { signingKey: await ownKey(), handle: null, verified: true };
    if (ownerKey && userId === ownerId) {
      return { signingKey: ownerKey.senderSigningKey, ...ownerKey.sender };
    }
    const pinned = pinnedFor(userId);
    if (pinned) {
      return { signingKey: decodeBase64url(pinned.signingKey), handle: pinned.handle, verified: pinned.verified };
    }
    return undefined;
  };
  // A member checks its share's editor roster with the owner's key its grant verified with, never another.
  const roster = ownerKey && {
    folderId: ownerKey.share.nodeId,
    ownerId,
    ownerSigningKey: ownerKey.senderSigningKey,
    contacts,
  };
  return { writers, signers, unknownSignersPossible: ownerId !== account.userId, keyOf, ...(roster && { roster }) };
}

/** Whether the owner signed this editor grant, as listed, to the editor's pinned sharing key. */
export async function ownGrantVerifies(
  given: ShareRecord,
  ownerId: string,
  ownSigningKey: Uint8Array,
  editor: Contact,
): Promise<boolean> {
  try {
    await verifyGrant(given.grant, {
      senderSigningKey: ownSigningKey,
      recipientSharingKey: decodeBase64url(editor.sharingKey),
      expected: {
        senderId: ownerId,
        recipientId: given.recipientId,
        ownerId,
        nodeId: given.nodeId,
        kind: given.kind,
        role: 'editor',
      },
    });
    return true;
  } catch (error) {
    if (!(error instanceof CofferCryptoError)) throw error;
    console.warn(`The editor grant of share ${given.id.slice(0, 8)} was not taken:`, error.message);
    return false;
  }
}
