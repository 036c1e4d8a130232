/** Nodes as the API sends them (everything wrapped or encrypted), and as the app shows them once opened. */
import type { NodeKind } from '$shared/crypto/index.ts';

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
  kind: NodeKind;
  name: string;
  /** Media type of a file ("" when unknown, and for folders). */
  type: string;
  /** Plaintext bytes of a file's current revision; 0 for folders. */
  size: number;
  /** When the file was last modified on the device it came from (ms), or when the folder was made. */
  modified: number;
  revision: RevisionRecord | null;
  updatedAt: string;
  trashedAt: string | null;
}
