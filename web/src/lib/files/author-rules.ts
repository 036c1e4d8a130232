/**
 * The rules node-authors.ts checks a folder's authors by, from what this reader knows rather than what the listing
 * says: who it knows may write there (the owner; for the owner, the editors of its shares of this folder or a folder above;
 * for a member, itself when its share makes it an editor), and where each author's key comes from (the reader's own,
 * a pinned contact's, or the server's copy for an account whose handle the reader was shown with a share).
 */
import type { HandleLookupResponse, IncomingShare, NodeSharesResponse } from '$shared/api/responses.ts';
import { decodeBase64url } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import { verifiedOwnPublicKeys } from '../auth/own-public-keys.ts';
import type { Contact } from '../contacts/contact-book.ts';
import { findPerson } from '../sharing/find-person.ts';
import { publishedKey, type AuthorKey, type AuthorRules } from './node-authors.ts';

export interface FolderReader {
  account: UnlockedAccount;
  contacts: Contact[];
  /** The folder being listed and the owner of its tree. */
  folderId: string;
  ownerId: string;
  /** For a member: the share the folder was reached through. */
  share?: IncomingShare | undefined;
}

export async function authorRules(reader: FolderReader, lookup = findPerson): Promise<AuthorRules> {
  const { account, contacts, ownerId, share } = reader;
  const writers = new Set([ownerId]);
  const handles = new Map<string, string>();
  if (ownerId === account.userId) {
    const { shares } = await api<NodeSharesResponse>('GET', `/api/nodes/${reader.folderId}/shares`);
    for (const given of shares) {
      if (given.role !== 'editor') continue;
      writers.add(given.recipientId);
      if (given.recipientHandle) handles.set(given.recipientId, given.recipientHandle);
    }
  } else if (share) {
    if (share.role === 'editor') writers.add(account.userId);
    if (share.senderHandle) handles.set(share.senderId, share.senderHandle);
  }
  const published = publishedKey(cached(lookup));
  let own: Promise<Uint8Array> | undefined;
  const keyOf = async (userId: string): Promise<AuthorKey | undefined> => {
    if (userId === account.userId) {
      own ??= verifiedOwnPublicKeys(account).then((keys) => keys.signing);
      return { signingKey: await own, handle: null, verified: true };
    }
    const pinned = contacts.find((contact) => contact.userId === userId);
    if (pinned)
      return { signingKey: decodeBase64url(pinned.signingKey), handle: pinned.handle, verified: pinned.verified };
    const handle = handles.get(userId);
    return handle ? published(userId, handle) : undefined;
  };
  return { writers, keyOf };
}

function cached(lookup: (handle: string) => Promise<HandleLookupResponse>) {
  const found = new Map<string, Promise<HandleLookupResponse>>();
  return (handle: string) => {
    const key = handle.toLowerCase();
    let answer = found.get(key);
    if (!answer) found.set(key, (answer = lookup(handle)));
    return answer;
  };
}
