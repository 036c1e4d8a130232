/**
 * Node ids are made by clients and unique across all users, so creating a node can meet an id already in use. Its
 * owner is told so (409 NODE_EXISTS); anyone else gets the 404 NOT_FOUND that answers any id of another user, so that
 * the answer never confirms that another user's node, or upload of a new file, has that id.
 */
import { and, eq, ne } from 'drizzle-orm';
import { nodesIn, type Scope } from '../access/policy.ts';
import type { Queryable } from '../db/database.ts';
import { nodes, revisions } from '../db/schema.ts';
import { ApiError } from '../http/errors.ts';

export function nodeIdTaken(nodeId: string, ownedByUser: boolean): ApiError {
  return ownedByUser
    ? new ApiError(409, 'NODE_EXISTS', `node ${nodeId} already exists`)
    : new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
}

/** The answer for an id already in use, once an insert found it so: whose it is decides what the user is told. */
export async function nodeIdTakenError(db: Queryable, scope: Scope, nodeId: string): Promise<ApiError> {
  const [own] = await db
    .select({ id: nodes.id })
    .from(nodes)
    .where(and(eq(nodes.id, nodeId), nodesIn(scope)));
  return nodeIdTaken(nodeId, own !== undefined);
}

/**
 * Whether another tree than `ownerId`'s has a revision under this node id: the upload of a new file with that id, not
 * yet complete.
 */
export async function usedByOthersUpload(db: Queryable, ownerId: string, nodeId: string): Promise<boolean> {
  const [other] = await db
    .select({ id: revisions.id })
    .from(revisions)
    .where(and(eq(revisions.nodeId, nodeId), ne(revisions.ownerId, ownerId)))
    .limit(1);
  return other !== undefined;
}
