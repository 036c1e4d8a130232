/**
 * The shares each side lists: the recipient, those offered to it and accepted; the owner, who has access to a node, and
 * everything it has shared.
 */
import { and, desc, eq, inArray } from 'drizzle-orm';
import type { IncomingSharesResponse, NodeSharesResponse, OutgoingSharesResponse } from '../../shared/api/responses.ts';
import { authorizeNode, ownTree, shareRows, type Actor } from '../access/policy.ts';
import { shares, users } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { nodeWithRevisionJson } from '../nodes/node-json.ts';
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

/**
 * Every share of the actor's nodes, whatever its state, newest first. The shared nodes come with the folders above
 * them (a shared folder that holds another shared node is among both), in one walk up the owner's tree.
 */
export async function outgoingShares({ db }: ServerDeps, actor: Actor): Promise<OutgoingSharesResponse> {
  const rows = await db
    .select({ share: shares, recipientHandle: users.handle })
    .from(shares)
    .leftJoin(users, eq(users.id, shares.recipientId))
    .where(shareRows.given(actor))
    .orderBy(desc(shares.createdAt), desc(shares.id));
  const shared = new Set(rows.map((row) => row.share.nodeId));
  const chain = await withAncestors(db, ownTree(actor), idList([...shared]));
  const parents = new Set(chain.map((row) => row.node.parentId));
  return {
    shares: rows.map((row) => shareRecord(row.share, row.recipientHandle)),
    nodes: chain.filter((row) => shared.has(row.node.id)).map(nodeWithRevisionJson),
    ancestors: chain.filter((row) => parents.has(row.node.id)).map(nodeWithRevisionJson),
  };
}
