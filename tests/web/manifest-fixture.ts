/**
 * A folder, its owner and an editor who is not a writer of it, its children as the server lists them and its manifests
 * as a writer signs them: what the tests of checking and re-signing a folder's manifest share.
 */
import type { NodeRecord } from '../../web/src/lib/files/node-records.ts';
import type { AuthorRules } from '../../web/src/lib/files/node-authors.ts';
import {
  decodeBase64url,
  encodeBase64url,
  exportPublicKey,
  generateAccountKeyPairs,
  manifestEntry,
  signFolderManifest,
} from '../../shared/crypto/index.ts';

export const OWNER = 'a11ce000-0000-4000-8000-000000000001';
export const EDITOR = 'b0b00000-0000-4000-8000-000000000002';
export const FOLDER = 'f01de200-0000-4000-8000-000000000004';
export const [owner, editor] = await Promise.all([generateAccountKeyPairs(), generateAccountKeyPairs()]);
export const publicKeys = new Map([
  [OWNER, await exportPublicKey(owner.signing.publicKey)],
  [EDITOR, await exportPublicKey(editor.signing.publicKey)],
]);
/** Only the owner writes; the editor's key is known, so a manifest it signs is refused for who signed it. */
export const rules: AuthorRules = {
  writers: new Set([OWNER]),
  keyOf: async (userId) => {
    const signingKey = publicKeys.get(userId);
    return signingKey && { signingKey, handle: null, verified: true };
  },
};
export const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));

/** A child as the server lists it; only what the manifest binds matters here. */
export function child(kind: 'file' | 'folder' = 'file'): NodeRecord {
  const id = crypto.randomUUID();
  return {
    id,
    parentId: FOLDER,
    kind,
    encryptedMetadata: random(153),
    currentRevision: kind === 'file' ? { id: crypto.randomUUID(), nodeId: id, number: 1, header: random(80) } : null,
  } as NodeRecord;
}

export const entryOf = (record: NodeRecord) =>
  manifestEntry({
    id: record.id,
    kind: record.kind,
    revision: record.currentRevision && {
      number: record.currentRevision.number,
      header: decodeBase64url(record.currentRevision.header),
    },
    encryptedMetadata: decodeBase64url(record.encryptedMetadata),
  });

export async function signed(version: number, children: NodeRecord[], by = { id: OWNER, keys: owner }) {
  const entries = await Promise.all(children.map(entryOf));
  const statement = { folderId: FOLDER, ownerId: OWNER, writerId: by.id, version, children: entries };
  return signFolderManifest(statement, by.keys.signing.privateKey);
}
