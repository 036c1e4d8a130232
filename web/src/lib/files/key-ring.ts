/**
 * Opens nodes from anchors down (docs/FORMAT.md section 5), each only with the key of the parent it claims
 * (open-record.ts says what is checked). An anchor is a node whose key the ring holds without holding its parent's:
 * the account's root today, a folder shared with the account or opened from a link tomorrow. Each key the ring holds
 * belongs to its anchor's owner, whose id every wrap and metadata under it binds, so nodes of another owner's tree open
 * with the same code and carry that owner. Whatever fails is refused, never shown. The keys live here, in memory,
 * until the account locks.
 */
import { signAuthorship, unwrapNodeKey, type AuthorSignature, type AuthorStatement } from '$shared/crypto/index.ts';
import { listedOnce } from './listed-once.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';
import { NodeOpener } from './node-opener.ts';
import { openRecord, TamperedNodeError } from './open-record.ts';
import type { FolderChange } from '../integrity/folder-manifest-signer.ts';

/** Where opening starts: a node, the owner of its tree, and the node's own key. */
export interface Anchor {
  nodeId: string;
  ownerId: string;
  key: Uint8Array;
}

/** What a listing opened, and what it refused: a refused record is counted, never shown. */
export interface Opened {
  opened: OpenNode[];
  refused: TamperedNodeError[];
}

/** The account that writes through this ring, whose signing key signs what it writes (docs/FORMAT.md section 5.2). */
export interface RingAuthor {
  userId: string;
  /** Undefined for an account that has no signing key: what it writes goes unsigned. */
  signingKey: () => Promise<CryptoKey | undefined>;
  /**
   * Re-signs a folder's manifest once its live children changed (integrity/folder-manifest-signer.ts), vouching for
   * `wrote`, the children this account just wrote there, and never naming `change.removed`.
   */
  resign?: (folderId: string, wrote: string[], change?: FolderChange) => Promise<void>;
  /** Notes a write this account is about to send, before it is sent (integrity/pending-writes.ts). */
  signed?: (statement: AuthorStatement) => Promise<void>;
  /**
   * Re-signs a folder's manifest for those of its refused children listed in the state of a write this device signed
   * there and never saw re-signed; false when there were none.
   */
  resignPending?: (folderId: string, refused: readonly NodeRecord[]) => Promise<boolean>;
}

/** What a writer states about a node it wrote; the ring adds who it is and signs. */
export type UnsignedStatement = Omit<AuthorStatement, 'authorId'>;

interface HeldKey {
  key: Uint8Array;
  ownerId: string;
}

export class KeyRing {
  readonly #keys = new Map<string, HeldKey>();
  readonly #anchors = new Set<string>();
  readonly #opener = new NodeOpener();

  /** Without an author (a link's visitor) the ring only reads. */
  constructor(readonly author?: RingAuthor) {}

  /** The author's signature of what it is about to write, or undefined when it has no signing key. */
  async sign(statement: UnsignedStatement): Promise<AuthorSignature | undefined> {
    const key = await this.author?.signingKey();
    if (!this.author || !key) return undefined;
    const full = { ...statement, authorId: this.author.userId };
    // A write goes ahead without its journal entry (no IndexedDB): only the replay of a lost re-sign is lost.
    await this.author.signed?.(full).catch(() => undefined);
    return signAuthorship(full, key);
  }

  /**
   * Tells the folder's signed list of contents that its live children changed, `wrote` being this account's writes and
   * `change.removed` what it took out of the folder.
   */
  async folderChanged(folderId: string | null, wrote: string[] = [], change: FolderChange = {}): Promise<void> {
    if (folderId) await this.author?.resign?.(folderId, wrote, change);
  }

  /** Re-signs the refused children of the folder that are this device's writes whose re-sign was lost. */
  async resignPending(folderId: string, refused: readonly NodeRecord[]): Promise<boolean> {
    return (await this.author?.resignPending?.(folderId, refused)) ?? false;
  }

  addAnchor({ nodeId, ownerId, key }: Anchor): void {
    this.#keys.set(nodeId, { key, ownerId });
    this.#anchors.add(nodeId);
  }

  keyOf(nodeId: string): Uint8Array | undefined {
    return this.#keys.get(nodeId)?.key;
  }

  ownerOf(nodeId: string): string | undefined {
    return this.#keys.get(nodeId)?.ownerId;
  }

  /**
   * After a key rotation (sharing/rotate-keys.ts): the folders' new keys replace the old, so that what this device
   * adds afterwards is wrapped under them. Keys the ring does not hold stay out: their folders open when listed.
   */
  replaceKeys(keys: ReadonlyMap<string, Uint8Array>): void {
    for (const [nodeId, key] of keys) {
      const held = this.#keys.get(nodeId);
      if (held) this.#keys.set(nodeId, { key, ownerId: held.ownerId });
    }
  }

  /**
   * Opens a root folder, whose key is wrapped under a key outside any tree (the account's master key), and anchors
   * the ring there.
   */
  async openRoot(ownerId: string, wrappingKey: Uint8Array, record: NodeRecord): Promise<OpenNode> {
    const { node, key } = await openRecord(
      ownerId,
      (wrapped, place) => unwrapNodeKey(wrappingKey, wrapped, place),
      record,
    );
    this.addAnchor({ nodeId: node.id, ownerId, key });
    return node;
  }

  /**
   * Opens one node: an anchor's own record with the key the anchor brought (its metadata must still authenticate for
   * its id and parent), any other under the key of the parent it claims, which must be open already.
   */
  async open(record: NodeRecord): Promise<OpenNode> {
    const anchor = this.#anchors.has(record.id) ? this.#keys.get(record.id) : undefined;
    if (anchor) return (await openRecord(anchor.ownerId, () => Promise.resolve(anchor.key), record)).node;
    const parent = record.parentId === null ? undefined : this.#keys.get(record.parentId);
    if (!parent) throw new TamperedNodeError(record.id, 'its folder could not be opened');
    const { node, key } = await openRecord(
      parent.ownerId,
      (wrapped, place) => unwrapNodeKey(parent.key, wrapped, place),
      record,
    );
    this.#keys.set(node.id, { key, ownerId: parent.ownerId });
    return node;
  }

  /**
   * Opens the children of an open folder, in workers (node-opener.ts), so that a large folder does not hold up the
   * page. A record that claims another parent, or whose id the listing names more than once, is refused like one that
   * fails its integrity check.
   */
  async openChildren(folderId: string, records: NodeRecord[]): Promise<Opened> {
    const folder = this.#keys.get(folderId);
    if (!folder) throw new Error('This folder is not open on this device; reload the page and try again.');
    const { once, refused: repeated } = listedOnce(records);
    const misplaced = once
      .filter((record) => record.parentId !== folderId)
      .map((record) => new TamperedNodeError(record.id, 'the server listed it in a folder it does not claim'));
    const claimed = once.filter((record) => record.parentId === folderId);
    const { opened, refused } = await this.#opener.openChildren(folder.ownerId, folder.key, claimed);
    for (const { node, key } of opened) this.#keys.set(node.id, { key, ownerId: folder.ownerId });
    return { opened: opened.map(({ node }) => node), refused: [...repeated, ...misplaced, ...refused] };
  }

  /**
   * Opens nodes of several folders whose ancestors come alongside, in any order (the trash, the recent files). The
   * ancestors open from what the ring holds down, each as a child of the folder it claims, and then the nodes, each as
   * a child of the folder it claims: a node whose chain of folders does not lead to an anchor is refused and counted
   * like any other. `folders`: the ancestors that opened. The nodes keep the order they were listed in.
   */
  async openScattered(
    nodes: NodeRecord[],
    ancestors: NodeRecord[],
  ): Promise<Opened & { folders: Map<string, OpenNode> }> {
    const folders = new Map<string, OpenNode>();
    // An ancestor listed twice opens neither copy: the nodes below it are then refused as leading to no anchor.
    let waiting = listedOnce(ancestors).once;
    for (;;) {
      const ready = new Set(waiting.filter((record) => record.parentId !== null && this.#keys.has(record.parentId)));
      if (ready.size === 0) break;
      waiting = waiting.filter((record) => !ready.has(record));
      for (const folder of (await this.#openByParent([...ready])).opened) folders.set(folder.id, folder);
    }
    const { once, refused: repeated } = listedOnce(nodes);
    const { opened, refused } = await this.#openByParent(once);
    // In the order the server listed them (newest first), which opening folder by folder does not keep.
    const order = new Map(nodes.map((record, index) => [record.id, index]));
    opened.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { opened, refused: [...repeated, ...refused], folders };
  }

  async #openByParent(records: NodeRecord[]): Promise<Opened> {
    const byParent = new Map<string | null, NodeRecord[]>();
    for (const record of records) {
      const group = byParent.get(record.parentId);
      if (group) group.push(record);
      else byParent.set(record.parentId, [record]);
    }
    const results = await Promise.all(
      [...byParent].map(([parentId, group]) =>
        parentId !== null && this.#keys.has(parentId)
          ? this.openChildren(parentId, group)
          : {
              opened: [],
              refused: group.map((record) => new TamperedNodeError(record.id, 'its folder could not be opened')),
            },
      ),
    );
    return {
      opened: results.flatMap((result) => result.opened),
      refused: results.flatMap((result) => result.refused),
    };
  }

  /** Forgets every key and stops the workers; the account is locking. */
  close(): void {
    this.#opener.close();
    this.#keys.clear();
    this.#anchors.clear();
  }
}
