/**
 * Opening one node (docs/FORMAT.md section 5), pure: the key must unwrap under the parent's key for this node and
 * kind, the metadata must authenticate for this node and parent, and a file's metadata must describe the revision the
 * server says is current. The key ring runs it on the page, and node-opener-worker.ts for whole folders.
 */
import {
  CofferCryptoError,
  decodeBase64url,
  type CryptoErrorCode,
  decryptMetadata,
  isCanonicalUuid,
  type NodeKeyUnwrapper,
  type NodePlace,
} from '$shared/crypto/index.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';

/** Why an item whose id, or its folder's, the server spelled other than in lower case with hyphens is refused. */
export const NOT_CANONICAL = 'the server gave an id that is not a UUID in lower case';

export class TamperedNodeError extends Error {
  constructor(
    readonly nodeId: string,
    readonly reason: string,
  ) {
    // Only an id in its one spelling is named: any other is the server's text, not Coffer's.
    const item = isCanonicalUuid(nodeId) ? `An item (${nodeId.slice(0, 8)})` : 'An item';
    super(`${item} failed its integrity check and was not shown: ${reason}`);
  }
}

export interface OpenedRecord {
  node: OpenNode;
  key: Uint8Array;
}

/** Throws TamperedNodeError for anything that fails, and nothing else for bad data. */
export async function openRecord(ownerId: string, unwrap: NodeKeyUnwrapper, record: NodeRecord): Promise<OpenedRecord> {
  if (!isCanonicalUuid(record.id) || (record.parentId !== null && !isCanonicalUuid(record.parentId))) {
    // The same bytes spelled another way would open, and miss what this device remembers under the id it knows.
    throw new TamperedNodeError(record.id, NOT_CANONICAL);
  }
  const place: NodePlace = { ownerId, nodeId: record.id, parentId: record.parentId, kind: record.kind };
  try {
    const key = await unwrap(record.wrappedKey, place);
    const encrypted = decodeBase64url(record.encryptedMetadata);
    if (place.kind === 'folder') {
      const metadata = await decryptMetadata(key, { ...place, kind: 'folder' }, encrypted);
      const changed = writtenAt(encrypted);
      return {
        node: openNode(ownerId, record, { name: metadata.name, type: '', size: 0, modified: changed }, changed),
        key,
      };
    }
    const metadata = await decryptMetadata(key, { ...place, kind: 'file' }, encrypted);
    if (record.currentRevision && record.currentRevision.number !== metadata.revision) {
      throw new TamperedNodeError(
        record.id,
        `its details describe version ${metadata.revision}, the server presents version ${record.currentRevision.number}`,
      );
    }
    return { node: openNode(ownerId, record, metadata, writtenAt(encrypted)), key };
  } catch (error) {
    if (error instanceof CofferCryptoError)
      throw new TamperedNodeError(record.id, PLAIN_REASONS[error.code] ?? error.message);
    throw error;
  }
}

/** The refusals a person meets most, said without the format's terms. */
const PLAIN_REASONS: Partial<Record<CryptoErrorCode, string>> = {
  WRAPPED_KEY_INVALID: "the key the server sent for it does not open it: it was changed, or is another item's",
  METADATA_INVALID: "its name and details do not open with its key: they were changed, or are another item's",
};

/**
 * When a device wrote this metadata, in ms: the timestamp of its Fernet token (docs/FORMAT.md sections 2 and 5), which
 * decryptMetadata has just authenticated with the rest of the token. The server's own dates are not used for this.
 */
function writtenAt(token: Uint8Array): number {
  return Number(new DataView(token.buffer, token.byteOffset, token.byteLength).getBigUint64(1)) * 1000;
}

function openNode(
  ownerId: string,
  record: NodeRecord,
  shown: { name: string; type: string; size: number; modified: number },
  changed: number,
): OpenNode {
  return {
    id: record.id,
    parentId: record.parentId,
    ownerId,
    kind: record.kind,
    name: shown.name,
    type: shown.type,
    size: shown.size,
    modified: shown.modified,
    changed,
    revision: record.currentRevision,
    trashedAt: record.trashedAt,
    author: null,
    requestLinkId: record.requestLinkId,
  };
}
