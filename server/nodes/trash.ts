/**
 * The trash: trashing marks only the node (what is inside a trashed folder is hidden by it, and comes back with it);
 * restoring needs every folder above to be live; deleting from the trash, one node or all, purges for good.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { NodeRecord, PurgedResponse } from '../../shared/api/responses.ts';
import { authorizeNode, nodesIn, ownTree, refuseSharedRoot, type Actor } from '../access/policy.ts';
import { audit, type RequestOrigin } from '../auth/audit.ts';
import { nodes } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode } from './node-json.ts';
import { purgeTrash } from './purge.ts';
import { idList, withAncestors } from './tree-queries.ts';

export async function trashNode({ db, now }: ServerDeps, actor: Actor, nodeId: string): Promise<NodeRecord> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'write');
  if (!node.parentId) throw new ApiError(409, 'IS_ROOT', `node ${node.id} is the root folder, which cannot be trashed`);
  refuseSharedRoot(scope, node, 'trash');
  // Through a share too, the node goes to its owner's trash: the trash is the tree's, and only the owner empties it.
  if (!node.trashedAt) {
    await db
      .update(nodes)
      .set({ trashedAt: now() })
      .where(and(eq(nodes.id, node.id), nodesIn(scope), isNull(nodes.trashedAt)));
  }
  return describeNode(db, (await authorizeNode(db, actor, node.id, 'read')).node);
}

export async function restoreNode({ db }: ServerDeps, actor: Actor, nodeId: string): Promise<NodeRecord> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'write');
  if (!node.trashedAt) throw new ApiError(409, 'NOT_IN_TRASH', `node ${node.id} is not in the trash`);
  refuseSharedRoot(scope, node, 'restore');
  const trashed = (await withAncestors(db, scope, idList([node.parentId]))).find((row) => row.node.trashedAt);
  if (trashed) {
    throw new ApiError(
      409,
      'PARENT_IN_TRASH',
      `folder ${trashed.node.id}, which holds node ${node.id}, is in the trash too; restore that folder, or move this node to a folder that is not in the trash`,
    );
  }
  const [restored] = await db
    .update(nodes)
    .set({ trashedAt: null })
    .where(and(eq(nodes.id, node.id), nodesIn(scope)))
    .returning();
  if (!restored) throw new ApiError(404, 'NOT_FOUND', `no node ${node.id}`);
  return describeNode(db, restored);
}

/** Deletes a trashed node for good, with everything inside it. */
export async function deleteTrashedNode(
  deps: ServerDeps,
  actor: Actor,
  nodeId: string,
  origin: RequestOrigin,
): Promise<PurgedResponse> {
  const { node, scope } = await authorizeNode(deps.db, actor, nodeId, 'manage');
  if (!node.trashedAt) {
    throw new ApiError(409, 'NOT_IN_TRASH', `node ${node.id} is not in the trash; trash it before deleting it`);
  }
  const purged = await purgeTrash(deps, scope, eq(nodes.id, node.id));
  await audit(deps.db, { type: 'trash-purged', userId: actor.userId, origin, at: deps.now(), details: { purged } });
  return { purged };
}

export async function emptyTrash(deps: ServerDeps, actor: Actor, origin: RequestOrigin): Promise<PurgedResponse> {
  const purged = await purgeTrash(deps, ownTree(actor));
  await audit(deps.db, { type: 'trash-purged', userId: actor.userId, origin, at: deps.now(), details: { purged } });
  return { purged };
}
