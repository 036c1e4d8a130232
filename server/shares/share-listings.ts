/** The shares each side lists: the recipient, those offered to it and accepted; the owner, who has access to a node. */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { IncomingSharesResponse, NodeSharesResponse } from '../../shared/api/responses.ts';
import { authorizeNode, shareRows, type Actor } from '../access/policy.ts';
import { shares, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { idList, withAncestors } from '../nodes/tree-queries.ts';
import { incomingShare, shareRecord } from './share-json.ts';

/** Shares offered to the actor and those it accepted, newest first, with the sender's handle and the grant. */
export async function incomingShares({ db }: ServerDeps, actor: Actor): Promise<IncomingSharesResponse> {
  const rows = await db
    .select({ share: shares, senderHandle: users.handle })
    .from(shares)
    .leftJoin(users, eq(users.id, shares.senderId))
    .where(and(shareRows.received(actor), inArray(shares.status, ['pending', 'accepted'])))
    .orderBy(desc(shares.createdAt), desc(shares.id));
  return { shares: rows.map((row) => incomingShare(row.share, row.senderHandle)) };
}

/** Who has, or is offered, access to a node its owner asks about: its shares and those of the folders above it. */
export async function nodeShares({ db }: ServerDeps, actor: Actor, nodeId: string): Promise<NodeSharesResponse> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'manage');
  const chain = (await withAncestors(db, scope, idList([node.id]))).map((row) => row.node.id).reverse();
  const rows = await db
    .select({ share: shares, recipientHandle: users.handle })
    .from(shares)
    .leftJoin(users, eq(users.id, shares.recipientId))
    .where(and(shareRows.given(actor), inArray(shares.nodeId, chain)))
    .orderBy(desc(shares.createdAt), desc(shares.id));
  const nearestFirst = rows.sort((a, b) => chain.indexOf(a.share.nodeId) - chain.indexOf(b.share.nodeId));
  return { shares: nearestFirst.map((row) => shareRecord(row.share, row.recipientHandle)) };
}
