/** Nodes as the API sends them (shared/api/responses.ts): ids, wrapped key, encrypted metadata, current revision. */
import { eq } from 'drizzle-orm';
import type { NodeRecord } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { Queryable } from '../db/database.ts';
import { revisions } from '../db/schema.ts';
import { revisionJson } from '../revisions/revision-json.ts';
import type { NodeRow, NodeWithRevision, RevisionRow } from './tree-queries.ts';

export function nodeJson(node: NodeRow, revision: RevisionRow | null): NodeRecord {
  return {
    id: node.id,
    parentId: node.parentId,
    kind: node.kind,
    wrappedKey: node.wrappedKey,
    encryptedMetadata: encodeBase64url(node.encryptedMetadata),
    currentRevision: revision ? revisionJson(revision) : null,
    createdAt: node.createdAt.toISOString(),
    updatedAt: node.updatedAt.toISOString(),
    trashedAt: node.trashedAt?.toISOString() ?? null,
    authorId: node.authorId,
    requestLinkId: node.requestLinkId,
    authorSignature: node.authorSignature,
  };
}

export function nodeWithRevisionJson({ node, revision }: NodeWithRevision): NodeRecord {
  return nodeJson(node, revision);
}

/** A node as sent, with its current revision loaded. */
export async function describeNode(db: Queryable, node: NodeRow): Promise<NodeRecord> {
  const [revision] = node.currentRevisionId
    ? await db.select().from(revisions).where(eq(revisions.id, node.currentRevisionId))
    : [];
  return nodeJson(node, revision ?? null);
}
