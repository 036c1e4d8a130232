/**
 * Sharing a node: the client sends the grant it made (shared/crypto/grant.ts). The server cannot check the signature
 * against a key it would trust (the recipient does, against the key it pinned); it checks that the grant's terms are
 * the share it records: sent by the caller, of a node the caller owns, of that node's kind and owner, to another
 * account. Sharing again with the same account replaces the grant, so that a role changes in place.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { ShareRecord } from '../../shared/api/responses.ts';
import type { CreateShareRequest } from '../../shared/api/schemas.ts';
import { authorizeNode, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { shares, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { shareRecord } from './share-json.ts';

export async function createShare(
  { db, now }: ServerDeps,
  actor: Actor,
  { grant }: CreateShareRequest,
  origin: RequestOrigin,
): Promise<ShareRecord> {
  const { node, scope } = await authorizeNode(db, actor, grant.nodeId, 'manage');
  if (grant.senderId !== actor.userId) {
    throw mismatch('sender', grant.senderId, `${actor.userId}, the account sharing`);
  }
  if (grant.ownerId !== scope.ownerId) throw mismatch('owner', grant.ownerId, `${scope.ownerId}, the node's owner`);
  if (grant.kind !== node.kind) throw mismatch('kind', grant.kind, `${node.kind}, the node's kind`);
  if (grant.recipientId === actor.userId) {
    throw new ApiError(400, 'SHARE_WITH_SELF', 'the grant names you as its recipient; share with another account');
  }
  const [recipient] = await db
    .select({ handle: users.handle })
    .from(users)
    .where(and(eq(users.id, grant.recipientId), isNull(users.disabledAt)));
  if (!recipient) throw new ApiError(404, 'NO_SUCH_ACCOUNT', `no account ${grant.recipientId} to share with`);
  const terms = { senderId: grant.senderId, kind: grant.kind, role: grant.role, wrappedGrant: grant };
  const [share] = await db
    .insert(shares)
    .values({
      id: crypto.randomUUID(),
      nodeId: node.id,
      ownerId: scope.ownerId,
      recipientId: grant.recipientId,
      createdAt: now(),
      ...terms,
    })
    .onConflictDoUpdate({
      target: [shares.nodeId, shares.recipientId],
      // An accepted share stays accepted with its new role; a declined one is offered again.
      set: { ...terms, status: sql`case when ${shares.status} = 'accepted' then 'accepted' else 'pending' end` },
    })
    .returning();
  await audit(db, {
    type: 'share-granted',
    userId: actor.userId,
    origin,
    at: now(),
    details: { shareId: share!.id, recipientId: grant.recipientId, role: grant.role },
  });
  return shareRecord(share!, recipient.handle);
}

function mismatch(field: string, got: string, expected: string): ApiError {
  return new ApiError(400, 'GRANT_MISMATCH', `the grant names ${field} ${got}; expected ${expected}`);
}
