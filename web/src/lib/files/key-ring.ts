/**
 * Opens nodes from the root down (docs/FORMAT.md section 5), each only with the key of the parent it claims
 * (open-record.ts says what is checked). Whatever fails is refused, never shown. The node keys live here, in memory,
 * until the account locks.
 */
import { unwrapNodeKey, type NodeKeyUnwrapper } from '$shared/crypto/index.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';
import { NodeOpener } from './node-opener.ts';
import { openRecord, TamperedNodeError } from './open-record.ts';

export class KeyRing {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #opener = new NodeOpener();

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
    const unwrap: NodeKeyUnwrapper = (wrapped, place) => unwrapNodeKey(parentKey, wrapped, place);
    const { node, key } = await openRecord(this.ownerId, unwrap, record);
    this.#keys.set(node.id, key);
    return node;
  }

  /**
   * Opens the children of an open folder, in workers (node-opener.ts), so that a large folder does not hold up the
   * page. A record that claims another parent is refused like one that fails its integrity check.
   */
  async openChildren(
    folderId: string,
    records: NodeRecord[],
  ): Promise<{ opened: OpenNode[]; refused: TamperedNodeError[] }> {
    const folderKey = this.#keys.get(folderId);
    if (!folderKey) throw new Error('This folder is not open on this device; reload the page and try again.');
    const misplaced = records
      .filter((record) => record.parentId !== folderId)
      .map((record) => new TamperedNodeError(record.id, 'the server listed it in a folder it does not claim'));
    const claimed = records.filter((record) => record.parentId === folderId);
    const { opened, refused } = await this.#opener.openChildren(this.ownerId, folderKey, claimed);
    for (const { node, key } of opened) this.#keys.set(node.id, key);
    return { opened: opened.map(({ node }) => node), refused: [...misplaced, ...refused] };
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

  /** Forgets every key and stops the workers; the account is locking. */
  close(): void {
    this.#opener.close();
    this.#keys.clear();
  }
}
