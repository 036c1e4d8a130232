/**
 * Who wrote each node of a folder (docs/FORMAT.md section 5.2), as its author signed it, never as the server says.
 * A signed node is shown only if the author's key signed exactly this node here: the key pinned for a contact, the
 * reader's own, or for a member the one its share's grant verified with (author-rules.ts), named "unverified" when
 * the reader never compared its fingerprint. A signature that fails, or whose author's key the reader cannot know, is refused and counted
 * with the items that fail their integrity check. An author who verifies but is neither the owner nor an editor this
 * reader knows of (the owner knows its shares, a member its own role) is named as such: a member removed since, whose
 * writes the owner re-wrapped under the new keys, is one (a hostile server cannot make a node that opens under the
 * folder's key). A node without a signature (written before signatures) is taken as the owner's, and names no author.
 */
import {
  CofferCryptoError,
  decodeBase64url,
  isCanonicalUuid,
  verifyAuthorship,
  type AuthorAction,
} from '$shared/crypto/index.ts';
import { LISTED_TWICE, recordsById } from './listed-once.ts';
import type { NodeRecord, OpenNode } from './node-records.ts';
import { NOT_CANONICAL, TamperedNodeError } from './open-record.ts';
import type { Opened } from './key-ring.ts';
import type { RosterSource } from '../integrity/editor-roster-check.ts';

/** An author's signing key and how the reader came by it. */
export interface AuthorKey {
  signingKey: Uint8Array;
  handle: string | null;
  /** A contact whose fingerprint was compared, or the reader itself. */
  verified: boolean;
}

/** Who a node's metadata was written by, once its signature verified. */
export interface NodeAuthor {
  userId: string;
  handle: string | null;
  verified: boolean;
  /** The owner, or an account the reader knows holds an editor grant here. */
  editor: boolean;
  action: AuthorAction;
}

export interface AuthorRules {
  /** The accounts that may write in this folder: its owner and the editors this reader knows of. */
  writers: ReadonlySet<string>;
  /**
   * The accounts whose signed folder manifests this reader takes: its known writers, and for a member the contacts it
   * pinned too (it cannot see the owner's grants to others). Without it, the writers.
   */
  signers?: ReadonlySet<string>;
  /**
   * Whether editors this reader cannot know of may sign the folder's manifests: true for a member, who cannot see the
   * owner's grants to others, so a manifest by an unknown signer may be another editor's honest write.
   */
  unknownSignersPossible?: boolean;
  /** The author's signing key, or undefined when the reader knows none. */
  keyOf: (userId: string) => Promise<AuthorKey | undefined>;
  /** For a member: where its share's editor roster is checked from (integrity/editor-roster-check.ts). */
  roster?: RosterSource;
}

export async function checkAuthors(listed: Opened, records: NodeRecord[], rules: AuthorRules): Promise<Opened> {
  const recordOf = recordsById(records);
  const checked = await Promise.all(
    listed.opened.map(async (node) => {
      const record = recordOf.get(node.id);
      if (!record) return new TamperedNodeError(node.id, LISTED_TWICE);
      try {
        return { ...node, author: await authorOf(node, record, rules) };
      } catch (error) {
        if (error instanceof CofferCryptoError) return new TamperedNodeError(node.id, error.message);
        if (error instanceof TamperedNodeError) return error;
        throw error;
      }
    }),
  );
  const opened: OpenNode[] = [];
  const refused = [...listed.refused];
  for (const node of checked) {
    if (node instanceof TamperedNodeError) refused.push(node);
    else opened.push(node);
  }
  return { opened, refused };
}

async function authorOf(node: OpenNode, record: NodeRecord, rules: AuthorRules): Promise<NodeAuthor | null> {
  if (!record.authorSignature) return null;
  const authorId = record.authorId;
  if (!authorId) throw new TamperedNodeError(node.id, 'the server names no author for its signature');
  if (!isCanonicalUuid(authorId)) throw new TamperedNodeError(node.id, NOT_CANONICAL);
  const key = await rules.keyOf(authorId);
  if (!key) throw new TamperedNodeError(node.id, `no signing key is known for its author ${authorId.slice(0, 8)}`);
  await verifyAuthorship(
    record.authorSignature,
    {
      authorId,
      ownerId: node.ownerId,
      nodeId: node.id,
      parentId: node.parentId,
      kind: node.kind,
      revision:
        node.kind === 'file' && record.currentRevision
          ? { number: record.currentRevision.number, header: decodeBase64url(record.currentRevision.header) }
          : null,
      encryptedMetadata: decodeBase64url(record.encryptedMetadata),
    },
    key.signingKey,
  );
  return {
    userId: authorId,
    handle: key.handle,
    verified: key.verified,
    editor: rules.writers.has(authorId),
    action: record.authorSignature.action,
  };
}

/**
 * What the file list says of who wrote a node in another owner's tree or by another account: nothing for the owner's
 * own, "added by" for a node an editor made, "changed by" for one they changed since, and "(unverified)" when the
 * author's key is the server's word, not one the reader pinned, and a note when the reader knows of no editor grant.
 */
export function authorLabel(author: NodeAuthor | null, ownerId: string, readerId: string | undefined): string | null {
  if (!author || author.userId === ownerId) return null;
  const verb = author.action === 'create' ? 'added by' : 'changed by';
  if (author.userId === readerId) return `${verb} you`;
  const who = author.handle ? `@${author.handle}` : `account ${author.userId.slice(0, 8)}`;
  const notes = [author.verified ? '' : 'unverified', author.editor ? '' : 'not an editor you know of'].filter(Boolean);
  return notes.length > 0 ? `${verb} ${who} (${notes.join(', ')})` : `${verb} ${who}`;
}
