/**
 * Nodes as the API sends them (everything wrapped or encrypted: NodeRecord and RevisionRecord, declared with the
 * server's other responses in shared/api/responses.ts), and as the app shows them once opened.
 */
import type { RevisionRecord } from '$shared/api/responses.ts';
import type { NodeKind } from '$shared/crypto/index.ts';
import type { NodeAuthor } from './node-authors.ts';

export type { NodeRecord, RevisionRecord } from '$shared/api/responses.ts';

/** A node whose key unwrapped and whose metadata authenticated, in its place. */
export interface OpenNode {
  id: string;
  parentId: string | null;
  /** Whose tree the node is in: the owner of the anchor it was opened from, which its key's wrap binds. */
  ownerId: string;
  kind: NodeKind;
  name: string;
  /** Media type of a file ("" when unknown, and for folders). */
  type: string;
  /** Plaintext bytes of a file's current revision; 0 for folders. */
  size: number;
  /**
   * When the file was last modified on the device it came from (ms); for a folder, `changed`. Both come from the
   * authenticated metadata, so the server cannot rewrite them.
   */
  modified: number;
  /**
   * When a device last wrote the node's metadata (ms): made, uploaded, renamed, moved, or a version restored. The
   * authenticated timestamp of the metadata token, in place of the server's updatedAt.
   */
  changed: number;
  revision: RevisionRecord | null;
  /** When the node went to the trash, as the server says: nothing authenticates it, so it is shown as the server's. */
  trashedAt: string | null;
  /**
   * Who wrote the node's metadata, once their signature verified when its folder was listed (node-authors.ts): the
   * owner, or an editor of a share ("added by @bob"). Null for a node without a signature, and for one opened any
   * other way than by listing its folder.
   */
  author: NodeAuthor | null;
  /** The request link a stranger sent this file through, before its owner accepted it ("from request link"). */
  requestLinkId: string | null;
}
