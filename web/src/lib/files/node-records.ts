/** Nodes as the API sends them (everything wrapped or encrypted), and as the app shows them once opened. */
import type { NodeKind } from '$shared/crypto/index.ts';

/** A stored version. Its dates are the server's: nothing the client wrote authenticates them. */
export interface RevisionRecord {
  id: string;
  nodeId: string;
  number: number;
  header: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  createdAt: string;
  completedAt: string | null;
  /** Whether the client stored an encrypted thumbnail for this revision. */
  thumbnail: boolean;
}

/** A node as listed. Its dates are the server's; OpenNode carries the ones its metadata authenticates. */
export interface NodeRecord {
  id: string;
  parentId: string | null;
  kind: NodeKind;
  wrappedKey: string;
  encryptedMetadata: string;
  currentRevision: RevisionRecord | null;
  createdAt: string;
  updatedAt: string;
  trashedAt: string | null;
}

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
}
