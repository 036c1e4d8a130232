/**
 * Changes to one node that the client made ready: new metadata (a rename), or an older revision made current again
 * with metadata that describes it. The client does the cryptography; the server checks where the node is.
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import type { NodeRecord } from '../../shared/api/responses.ts';
import type { RenameNodeRequest, SetCurrentRevisionRequest } from '../../shared/api/schemas.ts';
import { decodeBase64url } from '../../shared/crypto/index.ts';
import { authorizeNode, nodesIn, revisionsIn, type Actor, type Scope } from '../access/policy.ts';
import { nodes, revisions } from '../db/schema.ts';
import type { ServerDeps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { describeNode, nodeJson } from './node-json.ts';
import type { NodeRow } from './tree-queries.ts';

export async function renameNode(
  { db, now }: ServerDeps,
  actor: Actor,
  nodeId: string,
  request: RenameNodeRequest,
): Promise<NodeRecord> {
  const { node, scope } = await authorizeNode(db, actor, nodeId, 'write');
  return describeNode(db, await storeMetadata({ db, now }, actor, node.id, scope, request));
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
  const updated = await storeMetadata({ db, now }, actor, node.id, scope, request, { currentRevisionId: revision.id });
  return nodeJson(updated, revision);
}

/**
 * Stores the node's new metadata as the actor's, with the signature they made over it (and `also`, what else the edit
 * changes), within the scope the actor was authorized in.
 */
async function storeMetadata(
  { db, now }: Pick<ServerDeps, 'db' | 'now'>,
  actor: Actor,
  nodeId: string,
  scope: Scope,
  signed: RenameNodeRequest,
  also: { currentRevisionId?: string } = {},
): Promise<NodeRow> {
  const [updated] = await db
    .update(nodes)
    .set({
      ...also,
      encryptedMetadata: decodeBase64url(signed.encryptedMetadata),
      authorId: actor.userId,
      authorSignature: signed.authorSignature ?? null,
      updatedAt: now(),
    })
    .where(and(eq(nodes.id, nodeId), nodesIn(scope)))
    .returning();
  if (!updated) throw new ApiError(404, 'NOT_FOUND', `no node ${nodeId}`);
  return updated;
}
