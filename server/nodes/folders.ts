/** Making folders, the root among them, and finding the root. */
import { and, isNull } from 'drizzle-orm';
import type { NodeRecord } from '../../shared/api/responses.ts';
import type { CreateFolderRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import {
  authorizeNode,
  nodesIn,
  ownTree,
  requireInForce,
  usableFolder,
  type Actor,
  type Scope,
} from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { isUniqueViolation } from '../db/errors.ts';
import { nodes } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode } from './node-json.ts';
import { nodeIdTakenError } from './taken-ids.ts';
import { lockTree, type NodeRow } from './tree-queries.ts';

export async function createFolder(
  { db }: ServerDeps,
  actor: Actor,
  request: CreateFolderRequest,
): Promise<NodeRecord> {
  const id = request.id.toLowerCase();
  const parentId = request.parentId?.toLowerCase() ?? null;
  // A folder goes into the tree its parent is in: the actor's own, or one an editor's share reaches.
  const scope = parentId ? (await authorizeNode(db, actor, parentId, 'read')).scope : ownTree(actor);
  try {
    const created = await db.transaction(async (tx) => {
      // Under the tree lock, a purge cannot delete the parent between this check and the insert.
      await lockTree(tx, scope);
      // A share revoked since the scope was found gives nothing, under the lock as before it.
      await requireInForce(tx, scope);
      if (parentId) await usableFolder(tx, scope, parentId);
      const [row] = await tx
        .insert(nodes)
        .values({
          id,
          ownerId: scope.ownerId,
          parentId,
          kind: 'folder',
          authorId: actor.userId,
          wrappedKey: request.wrappedKey,
          encryptedMetadata: decodeBase64url(request.encryptedMetadata),
          authorSignature: request.authorSignature ?? null,
        })
        .returning();
      return row!;
    });
    return await describeNode(db, created);
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    if (!parentId && (await loadRoot(db, scope))) {
      throw new ApiError(409, 'ROOT_EXISTS', 'this account already has a root folder');
    }
    throw await nodeIdTakenError(db, scope, id);
  }
}

export async function rootFolder({ db }: ServerDeps, actor: Actor): Promise<NodeRecord> {
  const root = await loadRoot(db, ownTree(actor));
  if (!root) throw new ApiError(404, 'NO_ROOT', 'this account has no root folder yet');
  return describeNode(db, root);
}

async function loadRoot(db: Queryable, scope: Scope): Promise<NodeRow | undefined> {
  const [root] = await db
    .select()
    .from(nodes)
    .where(and(nodesIn(scope), isNull(nodes.parentId)));
  return root;
}
