/**
 * Changes to one node that the client made ready: new metadata (a rename), or an older revision made current again
 * with metadata that describes it. The client does the cryptography; the server checks where the node is.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import type { NodeRecord } from '../../shared/api/responses.ts';
import type { RenameNodeRequest, SetCurrentRevisionRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeNode, nodesIn, revisionsIn, type Actor } from '../access/policy.ts';
import { nodes, revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode, nodeJson } from './node-json.ts';

export async function renameNode(
  { db, now }: ServerDeps,
  actor: Actor,
  nodeId: string,
  request: RenameNodeRequest,
): Promise<NodeRecord> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'write');
  const [updated] = await db
    .update(nodes)
    .set({
      encryptedMetadata: decodeBase64url(request.encryptedMetadata),
      authorId: actor.userId,
      authorSignature: request.authorSignature ?? null,
      updatedAt: now(),
    })
    .where(and(eq(nodes.id, node.id), nodesIn(scope)))
    .returning();
  if (!updated) throw new ApiError(404, 'NOT_FOUND', `no node ${node.id}`);
  return describeNode(db, updated);
}

export async function setCurrentRevision(
  { db, now }: ServerDeps,
  actor: Actor,
  nodeId: string,
  request: SetCurrentRevisionRequest,
): Promise<NodeRecord> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'write');
  if (node.kind !== 'file') {
    throw new ApiError(409, 'NOT_A_FILE', `node ${node.id} is a folder; only files have revisions`);
  }
  const revisionId = request.revisionId.toLowerCase();
  const [revision] = await db
    .select()
    .from(revisions)
    .where(
      and(
        eq(revisions.id, revisionId),
        eq(revisions.nodeId, node.id),
        revisionsIn(scope),
        isNotNull(revisions.completedAt),
      ),
    );
  if (!revision) throw new ApiError(404, 'NOT_FOUND', `file ${node.id} has no completed revision ${revisionId}`);
  const [updated] = await db
    .update(nodes)
    .set({
      currentRevisionId: revision.id,
      encryptedMetadata: decodeBase64url(request.encryptedMetadata),
      authorId: actor.userId,
      authorSignature: request.authorSignature ?? null,
      updatedAt: now(),
    })
    .where(and(eq(nodes.id, node.id), nodesIn(scope)))
    .returning();
  if (!updated) throw new ApiError(404, 'NOT_FOUND', `no node ${node.id}`);
  return nodeJson(updated, revision);
}
