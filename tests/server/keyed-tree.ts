/**
 * A tree made with real keys, as the web app makes it (docs/FORMAT.md section 5): each folder's key wrapped under its
 * parent's, the root's under the master key, real metadata, and files uploaded with their keys wrapped under their
 * folder's. The key-rotation tests open these wraps themselves.
 */
import {
  encodeBase64url,
  encryptMetadata,
  generateKey,
  generateNodeKey,
  wrapNodeKey,
  type NodePlace,
} from '../../shared/crypto/index.ts';
import { encryptFile, json, ok, putChunk } from './client.ts';
import type { TestUser } from './harness.ts';

export interface KeyedNode {
  id: string;
  key: Uint8Array;
}

export interface KeyedTree {
  masterKey: Uint8Array;
  root: KeyedNode;
}

export async function keyedRoot(user: TestUser): Promise<KeyedTree> {
  const masterKey = generateKey();
  return { masterKey, root: await keyedFolderUnder(user, null, masterKey, 'My files') };
}

export function keyedFolder(user: TestUser, parent: KeyedNode, name: string): Promise<KeyedNode> {
  return keyedFolderUnder(user, parent.id, parent.key, name);
}

async function keyedFolderUnder(
  user: TestUser,
  parentId: string | null,
  parentKey: Uint8Array,
  name: string,
): Promise<KeyedNode> {
  const key = generateNodeKey();
  const place = { ownerId: user.id, nodeId: crypto.randomUUID(), parentId, kind: 'folder' as const };
  await ok(
    user.request(
      '/api/nodes/folders',
      json({
        id: place.nodeId,
        parentId,
        wrappedKey: await wrapNodeKey(parentKey, key, place),
        encryptedMetadata: encodeBase64url(await encryptMetadata(key, place, { name })),
      }),
    ),
    201,
  );
  return { id: place.nodeId, key };
}

/** A file of `size` random bytes uploaded into `parent` by `user` (the owner, or an editor) in `ownerId`'s tree. */
export async function keyedFile(
  user: TestUser,
  parent: KeyedNode,
  options: { ownerId?: string; size?: number } = {},
): Promise<KeyedNode> {
  const upload = await startKeyedFile(user, parent, options);
  await upload.finish();
  return upload.file;
}

/** An upload of a new file, its key wrapped under `parent`'s key now, with every chunk sent: `finish` completes it. */
export async function startKeyedFile(
  user: TestUser,
  parent: KeyedNode,
  options: { ownerId?: string; size?: number } = {},
): Promise<{ uploadId: string; file: KeyedNode; finish: () => Promise<unknown> }> {
  const file = await encryptFile(crypto.getRandomValues(new Uint8Array(options.size ?? 2000)));
  const place: NodePlace = {
    ownerId: options.ownerId ?? user.id,
    nodeId: file.nodeId,
    parentId: parent.id,
    kind: 'file',
  };
  const metadata = { name: `file-${file.nodeId.slice(0, 8)}`, type: '', size: file.plaintext.length, modified: 0 };
  const upload = await ok<{ uploadId: string }>(
    user.request(
      '/api/uploads',
      json({
        nodeId: file.nodeId,
        newFile: {
          parentId: parent.id,
          wrappedKey: await wrapNodeKey(parent.key, file.fileKey, place),
          encryptedMetadata: encodeBase64url(
            await encryptMetadata(file.fileKey, { ...place, kind: 'file' }, { ...metadata, revision: 1 }),
          ),
        },
        header: encodeBase64url(file.header),
        size: file.ciphertext.length,
        chunkCount: file.chunks.length,
      }),
    ),
    201,
  );
  for (const [index, chunk] of file.chunks.entries()) await ok(putChunk(user, upload.uploadId, index, chunk), 204);
  return {
    uploadId: upload.uploadId,
    file: { id: file.nodeId, key: file.fileKey },
    finish: () => ok(user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' })),
  };
}
