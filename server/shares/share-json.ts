/**
 * Shares as the API sends them (shared/api/responses.ts): to the owner, who has access and the grant it signed; to
 * the recipient, the grant.
 */
import type { IncomingShare, ShareRecord } from '../../shared/api/responses.ts';
import type { ShareRow } from '../access/policy.ts';

export function shareRecord(share: ShareRow, recipientHandle: string | null): ShareRecord {
  return {
    id: share.id,
    nodeId: share.nodeId,
    kind: share.kind,
    role: share.role,
    status: share.status,
    recipientId: share.recipientId,
    recipientHandle,
    grant: share.wrappedGrant,
    createdAt: share.createdAt.toISOString(),
    acceptedAt: share.acceptedAt?.toISOString() ?? null,
  };
}

export function incomingShare(share: ShareRow, senderHandle: string | null): IncomingShare {
  if (share.status === 'declined') throw new Error(`share ${share.id} was declined; it is not listed to its recipient`);
  return {
    id: share.id,
    nodeId: share.nodeId,
    ownerId: share.ownerId,
    kind: share.kind,
    role: share.role,
    status: share.status,
    senderId: share.senderId,
    senderHandle,
    grant: share.wrappedGrant,
    createdAt: share.createdAt.toISOString(),
    acceptedAt: share.acceptedAt?.toISOString() ?? null,
  };
}
