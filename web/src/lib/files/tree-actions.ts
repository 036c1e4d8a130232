/**
 * Changes to the tree, made on the device: each builds what the server stores (wrapped keys, encrypted metadata) and
 * sends only that. Moving re-wraps the node's key under the new folder's key and re-binds its metadata to it.
 */
import {
  decodeBase64url,
  encodeBase64url,
  encryptMetadata,
  generateNodeKey,
  wrapNodeKey,
  type AuthorAction,
  type FileMetadata,
  type NodeKind,
  type NodePlace,
} from '$shared/crypto/index.ts';
import type { PurgedResponse, RevisionsResponse } from '$shared/api/responses.ts';
import type {
  CreateFolderRequest,
  MoveNodeRequest,
  RenameNodeRequest,
  SetCurrentRevisionRequest,
} from '$shared/api/schemas.ts';
import { api, ApiRequestError } from '../api.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import type { KeyRing } from './key-ring.ts';
import type { NodeRecord, OpenNode, RevisionRecord } from './node-records.ts';

export const ROOT_NAME = 'My files';

/** The account's root folder, made on first use; the key ring is anchored there. */
export async function loadRoot(ring: KeyRing, account: AccountKeys): Promise<OpenNode> {
  const open = (record: NodeRecord) => ring.openRoot(account.userId, account.masterKey, record);
  try {
    return await open(await api<NodeRecord>('GET', '/api/nodes/root'));
  } catch (error) {
    if (!(error instanceof ApiRequestError && error.code === 'NO_ROOT')) throw error;
  }
  try {
    const place = { ownerId: account.userId, nodeId: crypto.randomUUID(), parentId: null, kind: 'folder' as const };
    return await open(await createFolderRecord(ring, account.masterKey, place, ROOT_NAME));
  } catch (error) {
    // Another tab made it first.
    if (!(error instanceof ApiRequestError && error.code === 'ROOT_EXISTS')) throw error;
    return open(await api<NodeRecord>('GET', '/api/nodes/root'));
  }
}

/** A new folder in an open one, in that folder's owner's tree. */
export async function createFolder(ring: KeyRing, parentId: string, name: string): Promise<OpenNode> {
  const place = {
    ownerId: requireOwner(ring, parentId),
    nodeId: crypto.randomUUID(),
    parentId,
    kind: 'folder' as const,
  };
  const created = await ring.open(await createFolderRecord(ring, requireKey(ring, parentId), place, name));
  await ring.folderChanged(parentId, [created.id]);
  return created;
}

async function createFolderRecord(
  ring: KeyRing,
  parentKey: Uint8Array,
  place: NodePlace & { kind: 'folder' },
  name: string,
): Promise<NodeRecord> {
  const key = generateNodeKey();
  const metadata = await encryptMetadata(key, place, { name });
  return api<NodeRecord>('POST', '/api/nodes/folders', {
    id: place.nodeId,
    parentId: place.parentId,
    wrappedKey: await wrapNodeKey(parentKey, key, place),
    encryptedMetadata: encodeBase64url(metadata),
    authorSignature: await ring.sign({ action: 'create', ...place, revision: null, encryptedMetadata: metadata }),
  } satisfies CreateFolderRequest);
}

export async function rename(ring: KeyRing, node: OpenNode, name: string): Promise<OpenNode> {
  const key = requireKey(ring, node.id);
  const place = placeOf(node, node.parentId);
  const encryptedMetadata = await sealMetadata(key, place, node, { name });
  const authorSignature = await signWrite(ring, 'rename', place, node.revision, encryptedMetadata);
  const renamed = await ring.open(
    await api<NodeRecord>('PATCH', `/api/nodes/${node.id}`, {
      encryptedMetadata,
      authorSignature,
    } satisfies RenameNodeRequest),
  );
  await ring.folderChanged(renamed.parentId, [renamed.id]);
  return renamed;
}

export async function move(ring: KeyRing, node: OpenNode, parentId: string): Promise<OpenNode> {
  const key = requireKey(ring, node.id);
  const place = placeOf(node, parentId);
  const encryptedMetadata = await sealMetadata(key, place, node, {});
  const moved = await ring.open(
    await api<NodeRecord>('POST', `/api/nodes/${node.id}/move`, {
      parentId,
      wrappedKey: await wrapNodeKey(requireKey(ring, parentId), key, place),
      encryptedMetadata,
      authorSignature: await signWrite(ring, 'move', place, node.revision, encryptedMetadata),
    } satisfies MoveNodeRequest),
  );
  await ring.folderChanged(parentId, [moved.id]);
  await ring.folderChanged(node.parentId, [], { removed: [moved.id] });
  return moved;
}

/** The signature of metadata about to be written (docs/FORMAT.md section 5.2), naming a file's current revision. */
async function signWrite<A extends AuthorAction>(
  ring: KeyRing,
  action: A,
  place: NodePlace,
  revision: RevisionRecord | null,
  encryptedMetadata: string,
): Promise<{ action: A; signature: string } | undefined> {
  const signed = await ring.sign({
    action,
    ...place,
    revision:
      place.kind === 'file' && revision ? { number: revision.number, header: decodeBase64url(revision.header) } : null,
    encryptedMetadata: decodeBase64url(encryptedMetadata),
  });
  return signed && { action, signature: signed.signature };
}

export async function trash(ring: KeyRing, node: OpenNode): Promise<OpenNode> {
  const trashed = await ring.open(await api<NodeRecord>('POST', `/api/nodes/${node.id}/trash`));
  await ring.folderChanged(node.parentId, [], { removed: [node.id] });
  return trashed;
}

export async function restore(ring: KeyRing, node: OpenNode): Promise<OpenNode> {
  const restored = await ring.open(await api<NodeRecord>('POST', `/api/nodes/${node.id}/restore`));
  await ring.folderChanged(restored.parentId, [restored.id]);
  return restored;
}

export async function purge(node: OpenNode): Promise<void> {
  await api('DELETE', `/api/nodes/${node.id}`);
}

export async function emptyTrash(): Promise<number> {
  return (await api<PurgedResponse>('DELETE', '/api/trash')).purged;
}

/** A file's stored versions, oldest first. */
export async function listRevisions(node: OpenNode): Promise<RevisionRecord[]> {
  return (await api<RevisionsResponse>('GET', `/api/nodes/${node.id}/revisions`)).revisions;
}

/** Makes an earlier version current again; its metadata names that version, with the size it had. */
export async function restoreRevision(
  ring: KeyRing,
  node: OpenNode,
  revision: RevisionRecord,
  plaintextSize: number,
): Promise<OpenNode> {
  const key = requireKey(ring, node.id);
  const place = placeOf(node, node.parentId);
  const encryptedMetadata = await sealMetadata(key, place, node, {
    revision: revision.number,
    size: plaintextSize,
  });
  const restored = await ring.open(
    await api<NodeRecord>('PUT', `/api/nodes/${node.id}/current-revision`, {
      revisionId: revision.id,
      encryptedMetadata,
      authorSignature: await signWrite(ring, 'restore', place, revision, encryptedMetadata),
    } satisfies SetCurrentRevisionRequest),
  );
  await ring.folderChanged(restored.parentId, [restored.id]);
  return restored;
}

function placeOf(node: OpenNode, parentId: string | null): NodePlace {
  return { ownerId: node.ownerId, nodeId: node.id, parentId, kind: node.kind };
}

async function sealMetadata(
  key: Uint8Array,
  place: NodePlace,
  node: OpenNode,
  change: Partial<FileMetadata>,
): Promise<string> {
  const metadata = metadataOf(node.kind, { ...fileMetadataOf(node), ...change });
  return encodeBase64url(await encryptMetadata(key, place, metadata));
}

function fileMetadataOf(node: OpenNode): FileMetadata {
  return {
    name: node.name,
    type: node.type,
    size: node.size,
    modified: node.modified,
    revision: node.revision?.number ?? 0,
  };
}

function metadataOf(kind: NodeKind, metadata: FileMetadata) {
  return kind === 'folder' ? { name: metadata.name } : metadata;
}

export function requireKey(ring: KeyRing, nodeId: string): Uint8Array {
  const key = ring.keyOf(nodeId);
  if (!key) throw new Error('This folder is not open on this device; reload the page and try again.');
  return key;
}

export function requireOwner(ring: KeyRing, nodeId: string): string {
  const owner = ring.ownerOf(nodeId);
  if (!owner) throw new Error('This folder is not open on this device; reload the page and try again.');
  return owner;
}
