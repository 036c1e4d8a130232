import type { RevisionRecord } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { RevisionRow } from '../nodes/tree-queries.ts';

export function revisionJson(revision: RevisionRow): RevisionRecord {
  return {
    id: revision.id,
    nodeId: revision.nodeId,
    number: revision.number,
    header: encodeBase64url(revision.header),
    size: revision.size,
    chunkSize: revision.chunkSize,
    chunkCount: revision.chunkCount,
    createdAt: revision.createdAt.toISOString(),
    completedAt: revision.completedAt?.toISOString() ?? null,
    thumbnail: revision.thumbnailBytes !== null,
    authorId: revision.authorId,
  };
}
