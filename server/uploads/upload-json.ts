import type { UploadRecord } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import type { Queryable } from '../db/database.ts';
import { loadSegments } from './segment-rows.ts';
import { receivedIndexes } from './segments.ts';
import type { UploadRow } from './upload-rows.ts';

/** What a client needs to resume: the stream's parameters and which chunks have arrived. */
export async function uploadJson(db: Queryable, upload: UploadRow): Promise<UploadRecord> {
  const received = upload.completedAt ? [] : receivedIndexes(await loadSegments(db, upload.revisionId));
  return {
    uploadId: upload.id,
    nodeId: upload.nodeId,
    revisionId: upload.revisionId,
    revision: upload.revision.number,
    header: encodeBase64url(upload.revision.header),
    size: upload.revision.size,
    chunkSize: upload.revision.chunkSize,
    chunkCount: upload.revision.chunkCount,
    // A new file's upload row has all three (see createUpload).
    newFile: upload.newNode
      ? {
          parentId: upload.parentId!,
          wrappedKey: upload.wrappedKey!,
          encryptedMetadata: encodeBase64url(upload.encryptedMetadata!),
          authorSignature: upload.authorSignature,
        }
      : null,
    received,
    expiresAt: upload.expiresAt.toISOString(),
    completedAt: upload.completedAt?.toISOString() ?? null,
  };
}
