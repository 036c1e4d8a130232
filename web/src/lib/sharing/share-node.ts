/**
 * Sharing one of the account's own nodes with a contact (issue 25, point 3): the node's key sealed to the sharing key
 * pinned for the contact, in a grant the account signs (shared/crypto/grant.ts); the server stores the grant and
 * enforces the role. Who has access is the owner's to list.
 */
import type { NodeSharesResponse, ShareRecord } from '$shared/api/responses.ts';
import type { CreateShareRequest } from '$shared/api/schemas.ts';
import { decodeBase64url, makeGrant, type GrantRole } from '$shared/crypto/index.ts';
import { api } from '../api.ts';
import type { UnlockedAccount } from '../auth/account-client.ts';
import type { Contact } from '../contacts/contact-book.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { OpenNode } from '../files/node-records.ts';
import { requireKey } from '../files/tree-actions.ts';
import { sharingKeys } from './account-keys.ts';

export async function shareNode(
  account: UnlockedAccount,
  ring: KeyRing,
  node: OpenNode,
  recipient: Contact,
  role: GrantRole,
): Promise<ShareRecord> {
  if (node.ownerId !== account.userId) throw new Error('Only the owner of an item can share it.');
  const keys = await sharingKeys(account);
  const grant = await makeGrant({
    terms: {
      senderId: account.userId,
      recipientId: recipient.userId,
      ownerId: node.ownerId,
      nodeId: node.id,
      kind: node.kind,
      role,
    },
    nodeKey: requireKey(ring, node.id),
    senderSigningKey: keys.signing,
    recipientSharingKey: decodeBase64url(recipient.sharingKey),
  });
  return api<ShareRecord>('POST', '/api/shares', { grant } satisfies CreateShareRequest);
}

/** Who has, or is offered, access to the node: through its own shares and those of the folders above it. */
export async function peopleWithAccess(node: OpenNode): Promise<ShareRecord[]> {
  return (await api<NodeSharesResponse>('GET', `/api/nodes/${node.id}/shares`)).shares;
}
