/**
 * Opens nodes from the root down (docs/FORMAT.md section 5). A node is opened only with the key of the parent it
 * claims: the key must unwrap for that node and kind, the metadata must authenticate for that node and parent, and a
 * file's metadata must describe the revision the server says is current. Whatever fails is refused, never shown.
 */
import {
  CofferCryptoError,
  decodeBase64url,
  decryptMetadata,
  unwrapNodeKey,
  type FileMetadata,
  type NodePlace,
} from '$shared/crypto/index.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';

export class TamperedNodeError extends Error {
  constructor(
    readonly nodeId: string,
    reason: string,
  ) {
    super(`An item (${nodeId.slice(0, 8)}) failed its integrity check and was not shown: ${reason}`);
  }
}

export class KeyRing {
  readonly #keys = new Map<string, Uint8Array>();

  constructor(
    readonly ownerId: string,
    private readonly masterKey: Uint8Array,
  ) {}

  keyOf(nodeId: string): Uint8Array | undefined {
    return this.#keys.get(nodeId);
  }

  /** The root folder's key is wrapped under the master key. */
  rootWrappingKey(): Uint8Array {
    return this.masterKey;
  }

  /** Opens a node whose parent is open already (or the root, under the master key). */
  async open(record: NodeRecord): Promise<OpenNode> {
    const parentKey = record.parentId === null ? this.masterKey : this.#keys.get(record.parentId);
    if (!parentKey) throw new TamperedNodeError(record.id, 'its folder could not be opened');
    return this.openUnder(parentKey, record);
  }

  /** Opens a node under a key that is not in the ring (a node shown with a stale parent, for instance). */
  async openUnder(parentKey: Uint8Array, record: NodeRecord): Promise<OpenNode> {
    const place: NodePlace = { ownerId: this.ownerId, nodeId: record.id, parentId: record.parentId, kind: record.kind };
    try {
      const key = await unwrapNodeKey(parentKey, record.wrappedKey, place);
      const encrypted = decodeBase64url(record.encryptedMetadata);
      const opened =
        place.kind === 'folder'
          ? await this.#openFolder(key, { ...place, kind: 'folder' }, encrypted, record)
          : await this.#openFile(key, { ...place, kind: 'file' }, encrypted, record);
      this.#keys.set(record.id, key);
      return opened;
    } catch (error) {
      if (error instanceof CofferCryptoError) throw new TamperedNodeError(record.id, error.message);
      throw error;
    }
  }

  /**
   * Opens nodes whose ancestors come alongside, in any order (the trash and the recent files): each ancestor is
   * opened from the root down before the nodes that need it. Nodes that fail are left out and counted.
   */
  async openWithAncestors(
    nodes: NodeRecord[],
    ancestors: NodeRecord[],
  ): Promise<{ opened: OpenNode[]; ancestors: Map<string, OpenNode>; refused: number }> {
    const byId = new Map(ancestors.map((record) => [record.id, record]));
    const openAncestors = new Map<string, OpenNode>();
    const openAncestor = async (id: string, depth: number): Promise<boolean> => {
      if (this.#keys.has(id)) return true;
      const record = byId.get(id);
      if (!record || depth > byId.size) return false;
      if (record.parentId !== null && !(await openAncestor(record.parentId, depth + 1))) return false;
      openAncestors.set(id, await this.open(record));
      return true;
    };
    const opened: OpenNode[] = [];
    let refused = 0;
    for (const record of nodes) {
      try {
        if (record.parentId !== null) await openAncestor(record.parentId, 0);
        opened.push(await this.open(record));
      } catch (error) {
        if (!(error instanceof TamperedNodeError)) throw error;
        refused++;
      }
    }
    return { opened, ancestors: openAncestors, refused };
  }

  async #openFolder(key: Uint8Array, place: NodePlace & { kind: 'folder' }, encrypted: Uint8Array, record: NodeRecord) {
    const metadata = await decryptMetadata(key, place, encrypted);
    return openNode(record, { name: metadata.name, type: '', size: 0, modified: Date.parse(record.updatedAt) });
  }

  async #openFile(key: Uint8Array, place: NodePlace & { kind: 'file' }, encrypted: Uint8Array, record: NodeRecord) {
    const metadata: FileMetadata = await decryptMetadata(key, place, encrypted);
    if (record.currentRevision && record.currentRevision.number !== metadata.revision) {
      throw new TamperedNodeError(
        record.id,
        `its details describe version ${metadata.revision}, the server presents version ${record.currentRevision.number}`,
      );
    }
    return openNode(record, metadata);
  }
}

function openNode(record: NodeRecord, shown: { name: string; type: string; size: number; modified: number }): OpenNode {
  return {
    id: record.id,
    parentId: record.parentId,
    kind: record.kind,
    ...shown,
    revision: record.currentRevision,
    updatedAt: record.updatedAt,
    trashedAt: record.trashedAt,
  };
}
