/**
 * Moving a node: into a usable folder of the same tree that is neither the node nor inside it (that would cut the
 * subtree off from the root, in a cycle). Through a share, only within the shared folder, and never the shared node. The client re-wraps the node's key under the new parent's and sends it.
 */
import { and, eq } from 'drizzle-orm';
import type { NodeRecord } from '../../shared/api/responses.ts';
import type { MoveNodeRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import {
  authorizeNode,
  folderIn,
  nodesIn,
  refuseSharedRoot,
  refuseTrashed,
  type Actor,
  type Scope,
} from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { nodes } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode } from './node-json.ts';
import { idList, lockTree, type NodeRow, withAncestors } from './tree-queries.ts';

export async function moveNode(
  { db, now }: ServerDeps,
  actor: Actor,
  nodeId: string,
  request: MoveNodeRequest,
): Promise<NodeRecord> {
  const parentId = request.parentId.toLowerCase();
  const tree = (await authorizeNode(db, actor, nodeId, 'write')).scope;
  const moved = await db.transaction(async (tx) => {
    await lockTree(tx, tree);
    const { node, scope } = await authorizeNode(tx, actor, nodeId, 'write');
    if (!node.parentId) throw new ApiError(409, 'IS_ROOT', `node ${node.id} is the root folder, which cannot move`);
    refuseSharedRoot(scope, node, 'move');
    await checkMoveTarget(tx, scope, node, parentId);
    // Moving out of the trash into a live folder restores the node: that is "restore to...".
    const [updated] = await tx
      .update(nodes)
      .set({
        parentId,
        wrappedKey: request.wrappedKey,
        encryptedMetadata: decodeBase64url(request.encryptedMetadata),
        authorId: actor.userId,
        authorSignature: request.authorSignature ?? null,
        trashedAt: null,
        updatedAt: now(),
      })
      .where(and(eq(nodes.id, node.id), nodesIn(scope)))
      .returning();
    return updated!;
  });
  return describeNode(db, moved);
}

/** One walk up from the new parent answers every check (usableFolder's, and the cycle's). */
async function checkMoveTarget(tx: Queryable, scope: Scope, node: NodeRow, parentId: string): Promise<void> {
  const chain = await withAncestors(tx, scope, idList([parentId]));
  folderIn(chain, parentId);
  if (chain.some((row) => row.node.id === node.id)) {
    throw new ApiError(
      409,
      'MOVE_INTO_ITSELF',
      parentId === node.id
        ? `node ${node.id} cannot move into itself`
        : `folder ${parentId} is inside ${node.id}; a folder cannot move into itself or anything inside it`,
    );
  }
  refuseTrashed(chain, parentId);
}
