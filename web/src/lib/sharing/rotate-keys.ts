/**
 * Rotating the keys of a folder and of every folder below it, on the owner's device, after someone's access to it
 * was removed (docs/FORMAT.md section 4.6): each folder gets a fresh key, wrapped under its parent's new key (the top
 * folder's under its parent's unchanged key), with its metadata encrypted again under it; each file's key, unchanged,
 * is wrapped again under its folder's new key, and so is that of a new file still uploading into one of them; and
 * every member who keeps access to one of these folders gets a new grant of its new key. The server applies it all at
 * once (POST /api/nodes/:nodeId/rekey) or not at all. What is added afterwards is wrapped under keys the removed
 * person never had.
 */
import type { RekeyPlanResponse, RekeyResponse, ShareRecord } from '$shared/api/responses.ts';
import type { RekeyRequest } from '$shared/api/schemas.ts';
import {
  CofferCryptoError,
  decodeBase64url,
  decryptMetadata,
  encodeBase64url,
  encryptMetadata,
  generateNodeKey,
  makeGrant,
  nodeKeyUnwrapper,
  nodeKeyWrapper,
  signAuthorship,
  type NodeKeyUnwrapper,
  type NodeKeyWrapper,
} from '$shared/crypto/index.ts';
import { api, ApiRequestError } from '../api.ts';
import type { AccountKeys } from '../auth/account-client.ts';
import type { KeyRing } from '../files/key-ring.ts';
import type { NodeRecord } from '../files/node-records.ts';
import { TamperedNodeError } from '../files/open-record.ts';

export interface RotationProgress {
  foldersDone: number;
  foldersTotal: number;
}

/** How the rotation calls the API: the app's api() unless a test gives another. */
export type Send = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** What a rotation needs of the key ring: the keys it holds now, and taking the new ones. */
/** folderChanged is left out by tools that rotate with no folder view to keep signed (the benches, fault tests). */
export type RotationRing = Pick<KeyRing, 'keyOf' | 'replaceKeys'> & Partial<Pick<KeyRing, 'folderChanged'>>;

export interface RotationKeys {
  /** The account rotating, which owns the folder's tree. */
  ownerId: string;
  /** The key the folder's own key is wrapped under: its parent folder's key, or the master key for the root. */
  parentKey: Uint8Array;
  /** The folder's key now. */
  folderKey: Uint8Array;
  /** The owner's signing private key (ECDSA P-256), which signs the new grants. */
  signingKey: CryptoKey;
  /** The sharing public key (SPKI) of a member who keeps access, as the owner pinned it. */
  recipientSharingKey: (recipientId: string) => Promise<Uint8Array>;
}

export interface BuiltRotation {
  request: RekeyRequest;
  /** Each folder's new key, by folder id. */
  newKeys: Map<string, Uint8Array>;
}

/**
 * The whole rotation of what `plan` lists, made without the network: every old wrap is opened first (a node that does
 * not open under the key of the folder it is listed in is refused, TamperedNodeError, and nothing is sent).
 * `onProgress` is told after each folder.
 */
export async function buildRotation(
  plan: RekeyPlanResponse,
  keys: RotationKeys,
  onProgress?: (progress: RotationProgress) => void,
): Promise<BuiltRotation> {
  const [top] = plan.folders;
  if (!top) throw new Error('The server listed nothing to rotate; reload the page and try again.');
  const filesOf = groupFiles(plan);
  const oldKeys = new Map<string, Uint8Array>([[top.id, keys.folderKey]]);
  const newKeys = new Map<string, Uint8Array>();
  const oldUnwrappers = new Map<string, NodeKeyUnwrapper>();
  const newWrappers = new Map<string, NodeKeyWrapper>();
  const unwrapperOf = async (folderId: string) =>
    oldUnwrappers.get(folderId) ??
    oldUnwrappers.set(folderId, await nodeKeyUnwrapper(oldKeys.get(folderId)!)).get(folderId)!;
  const wrapperOf = async (folderId: string) =>
    newWrappers.get(folderId) ?? newWrappers.set(folderId, await nodeKeyWrapper(newKeys.get(folderId)!)).get(folderId)!;
  const topWrapper = await nodeKeyWrapper(keys.parentKey);

  const request: RekeyRequest = { folders: [], files: [], uploads: [], grants: [] };
  for (const folder of plan.folders) {
    const place = { ownerId: keys.ownerId, nodeId: folder.id, parentId: folder.parentId, kind: 'folder' as const };
    const isTop = folder === top;
    if (!isTop && (folder.parentId === null || !oldKeys.has(folder.parentId))) {
      throw new TamperedNodeError(folder.id, 'the server listed it outside the folder being rotated');
    }
    const encrypted = decodeBase64url(folder.encryptedMetadata);
    const oldKey = isTop ? keys.folderKey : await opened(folder, () => unwrapperOf(folder.parentId!), place);
    oldKeys.set(folder.id, oldKey);
    const metadata = await refusing(folder, () => decryptMetadata(oldKey, place, encrypted));
    const newKey = generateNodeKey();
    newKeys.set(folder.id, newKey);
    const wrap = isTop ? topWrapper : await wrapperOf(folder.parentId!);
    const newMetadata = await encryptMetadata(newKey, place, metadata, { timestamp: tokenTimestamp(encrypted) });
    // The owner writes the folder's metadata anew, so signs it as its author (docs/FORMAT.md section 5.2).
    const signed = await signAuthorship(
      { action: 'rekey', authorId: keys.ownerId, ...place, revision: null, encryptedMetadata: newMetadata },
      keys.signingKey,
    );
    request.folders.push({
      id: folder.id,
      wrappedKey: await wrap(newKey, place),
      encryptedMetadata: encodeBase64url(newMetadata),
      authorSignature: { action: 'rekey', signature: signed.signature },
    });
    const files = filesOf.get(folder.id) ?? [];
    const unwrap = await unwrapperOf(folder.id);
    const rewrap = await wrapperOf(folder.id);
    request.files.push(
      ...(await Promise.all(
        files.map(async (file) => {
          const filePlace = { ownerId: keys.ownerId, nodeId: file.id, parentId: folder.id, kind: 'file' as const };
          const fileKey = await refusing(file, () => unwrap(file.wrappedKey, filePlace));
          return { id: file.id, wrappedKey: await rewrap(fileKey, filePlace) };
        }),
      )),
    );
    onProgress?.({ foldersDone: request.folders.length, foldersTotal: plan.folders.length });
  }
  request.uploads = await Promise.all(
    plan.uploads.map(async (upload) => {
      if (!newKeys.has(upload.parentId)) {
        throw new TamperedNodeError(upload.nodeId, 'the server listed an upload outside the folder being rotated');
      }
      const place = { ownerId: keys.ownerId, nodeId: upload.nodeId, parentId: upload.parentId, kind: 'file' as const };
      const unwrap = await unwrapperOf(upload.parentId);
      // A key that does not open under its folder's key was never readable to the owner: it gets a fresh key in its
      // place, so that the file stays unreadable to everyone rather than to the owner alone.
      const fileKey = await unwrap(upload.wrappedKey, place).catch((error: unknown) => {
        if (error instanceof CofferCryptoError) return generateNodeKey();
        throw error;
      });
      return { id: upload.id, wrappedKey: await (await wrapperOf(upload.parentId))(fileKey, place) };
    }),
  );
  request.grants = await Promise.all(plan.shares.map((share) => newGrant(share, keys, newKeys)));
  return { request, newKeys };
}

export interface RotateOptions {
  /** The owner: its id, its master key (which wraps the root folder's key) and its signing private key. */
  account: AccountKeys & { signingKey: CryptoKey };
  /** The sharing public key (SPKI) of each member who keeps access, as pinned in the owner's contacts. */
  recipientSharingKey: (recipientId: string) => Promise<Uint8Array>;
  onProgress?: (progress: RotationProgress) => void;
  send?: Send;
}

/** A rotation listed, built and refused because the folder changed meanwhile is made again, this many times in all. */
const ATTEMPTS = 3;
const CHANGED_MEANWHILE = new Set(['SUBTREE_CHANGED', 'SHARES_CHANGED']);

/**
 * Rotates the keys of `folderId` (a folder the account owns, open in the ring) and of everything below it, and gives
 * the ring the new keys. Something added to the folder or a share changed while the rotation was being built makes
 * the server refuse it; it is then listed and built again. Throws TamperedNodeError for a listed node that does not
 * open, and ApiRequestError for a refusal (after the last attempt, SUBTREE_CHANGED or SHARES_CHANGED).
 */
export async function rotateFolderKeys(
  ring: RotationRing,
  folderId: string,
  options: RotateOptions,
): Promise<RekeyResponse> {
  const send = options.send ?? api;
  for (let attempt = 1; ; attempt++) {
    const plan = await send<RekeyPlanResponse>('GET', `/api/nodes/${folderId}/rekey`);
    const top = plan.folders[0];
    if (top?.id !== folderId) throw new TamperedNodeError(folderId, 'the server listed another folder to rotate');
    const parentKey = top.parentId === null ? options.account.masterKey : ring.keyOf(top.parentId);
    const folderKey = ring.keyOf(folderId);
    if (!parentKey || !folderKey) {
      throw new Error('This folder is not open on this device; reload the page and try again.');
    }
    const built = await buildRotation(
      plan,
      {
        ownerId: options.account.userId,
        parentKey,
        folderKey,
        signingKey: options.account.signingKey,
        recipientSharingKey: options.recipientSharingKey,
      },
      options.onProgress,
    );
    try {
      const done = await send<RekeyResponse>('POST', `/api/nodes/${folderId}/rekey`, built.request);
      ring.replaceKeys(built.newKeys);
      await resignRotated(ring, plan);
      return done;
    } catch (error) {
      if (!(error instanceof ApiRequestError && CHANGED_MEANWHILE.has(error.code) && attempt < ATTEMPTS)) throw error;
    }
  }
}

/**
 * Every folder whose children the rotation rewrote re-signs them, and the folder above it names its new state. The
 * plan lists trashed children too, so each is vouched for only if the folder's checked manifest named it live.
 */
export async function resignRotated(ring: RotationRing, plan: RekeyPlanResponse): Promise<void> {
  if (!ring.folderChanged) return;
  const top = plan.folders[0]!;
  await ring.folderChanged(top.parentId, [], { rewrote: [top.id] });
  for (const folder of plan.folders) {
    const children = [...plan.folders, ...plan.files].filter((node) => node.parentId === folder.id);
    await ring.folderChanged(folder.id, [], { rewrote: children.map((node) => node.id) });
  }
}

/** The files of the plan by the folder they are listed in. */
function groupFiles(plan: RekeyPlanResponse): Map<string, NodeRecord[]> {
  const folders = new Set(plan.folders.map((folder) => folder.id));
  const byFolder = new Map<string, NodeRecord[]>();
  for (const file of plan.files) {
    if (file.parentId === null || !folders.has(file.parentId)) {
      throw new TamperedNodeError(file.id, 'the server listed it outside the folder being rotated');
    }
    const group = byFolder.get(file.parentId);
    if (group) group.push(file);
    else byFolder.set(file.parentId, [file]);
  }
  return byFolder;
}

async function newGrant(share: ShareRecord, keys: RotationKeys, newKeys: Map<string, Uint8Array>) {
  const nodeKey = newKeys.get(share.nodeId);
  if (!nodeKey || share.kind !== 'folder') {
    throw new TamperedNodeError(
      share.nodeId,
      'the server listed a share of something outside the folder being rotated',
    );
  }
  return makeGrant({
    terms: {
      senderId: keys.ownerId,
      recipientId: share.recipientId,
      ownerId: keys.ownerId,
      nodeId: share.nodeId,
      kind: 'folder',
      role: share.role,
    },
    nodeKey,
    senderSigningKey: keys.signingKey,
    recipientSharingKey: await keys.recipientSharingKey(share.recipientId),
  });
}

async function opened(
  folder: NodeRecord,
  unwrapper: () => Promise<NodeKeyUnwrapper>,
  place: Parameters<NodeKeyUnwrapper>[1],
): Promise<Uint8Array> {
  const unwrap = await unwrapper();
  return refusing(folder, () => unwrap(folder.wrappedKey, place));
}

/** A wrap or metadata that does not open is the server's doing: the node is named, and nothing is sent. */
async function refusing<T>(record: NodeRecord, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new TamperedNodeError(record.id, error.message);
    throw error;
  }
}

/** When the metadata was written (docs/FORMAT.md section 2: the token's timestamp), kept through the rotation. */
function tokenTimestamp(token: Uint8Array): number {
  return Number(new DataView(token.buffer, token.byteOffset, token.byteLength).getBigUint64(1));
}
