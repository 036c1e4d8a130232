/**
 * Opening one node (docs/FORMAT.md section 5), pure: the key must unwrap under the parent's key for this node and
 * kind, the metadata must authenticate for this node and parent, and a file's metadata must describe the revision the
 * server says is current. The key ring runs it on the page, and node-opener-worker.ts for whole folders.
 */
import {
  CofferCryptoError,
  decodeBase64url,
  decryptMetadata,
  type NodeKeyUnwrapper,
  type NodePlace,
} from '$shared/crypto/index.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';

export class TamperedNodeError extends Error {
  constructor(
    readonly nodeId: string,
    readonly reason: string,
  ) {
    super(`An item (${nodeId.slice(0, 8)}) failed its integrity check and was not shown: ${reason}`);
  }
}

export interface OpenedRecord {
  node: OpenNode;
  key: Uint8Array;
}

/** Throws TamperedNodeError for anything that fails, and nothing else for bad data. */
export async function openRecord(ownerId: string, unwrap: NodeKeyUnwrapper, record: NodeRecord): Promise<OpenedRecord> {
  const place: NodePlace = { ownerId, nodeId: record.id, parentId: record.parentId, kind: record.kind };
  try {
    const key = await unwrap(record.wrappedKey, place);
    const encrypted = decodeBase64url(record.encryptedMetadata);
    if (place.kind === 'folder') {
      const metadata = await decryptMetadata(key, { ...place, kind: 'folder' }, encrypted);
      const shown = { name: metadata.name, type: '', size: 0, modified: Date.parse(record.updatedAt) };
      return { node: openNode(record, shown), key };
    }
    const metadata = await decryptMetadata(key, { ...place, kind: 'file' }, encrypted);
    if (record.currentRevision && record.currentRevision.number !== metadata.revision) {
      throw new TamperedNodeError(
        record.id,
        `its details describe version ${metadata.revision}, the server presents version ${record.currentRevision.number}`,
      );
    }
    return { node: openNode(record, metadata), key };
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new TamperedNodeError(record.id, error.message);
    throw error;
  }
}

function openNode(record: NodeRecord, shown: { name: string; type: string; size: number; modified: number }): OpenNode {
  return {
    id: record.id,
    parentId: record.parentId,
    kind: record.kind,
    name: shown.name,
    type: shown.type,
    size: shown.size,
    modified: shown.modified,
    revision: record.currentRevision,
    updatedAt: record.updatedAt,
    trashedAt: record.trashedAt,
  };
}
