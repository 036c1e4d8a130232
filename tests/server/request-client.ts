/**
 * File-request links as the owner's browser makes them (terms signed, docs/FORMAT.md section 4.5), a stranger's
 * uploads through them as the request page makes them (the file key sealed to the owner, the metadata under the file
 * key), and the owner's acceptance (the seal opened, the key wrapped under the folder's key).
 */
import {
  encodeBase64url,
  encryptMetadata,
  exportPublicKey,
  fingerprintText,
  openRequestFileKey,
  sealRequestFileKey,
  signRequestTerms,
  wrapNodeKey,
} from '../../shared/crypto/index.ts';
import type { RequestLinkRecord, RequestUploadRecord } from '../../shared/api/responses.ts';
import { createUploadRequest, encryptFile, json, ok, type EncryptedFile } from './client.ts';
import type { Harness } from './harness.ts';
import type { SharingUser } from './sharing-accounts.ts';

const ORIGIN = { origin: 'http://localhost:8080' };

export interface RequestLinkOptions {
  maxFiles?: number;
  maxBytes?: number;
  expiresAt?: string | null;
  message?: string;
}

export async function requestLinkBody(owner: SharingUser, folderId: string, options: RequestLinkOptions = {}) {
  const id = crypto.randomUUID();
  const message = options.message ?? 'Please send the scans';
  return {
    id,
    nodeId: folderId,
    encryptedLabel: null,
    message,
    messageSignature: await signRequestTerms(owner.keys.signing.privateKey, {
      requestLinkId: id,
      ownerId: owner.id,
      folderId,
      message,
    }),
    maxFiles: options.maxFiles ?? 10,
    maxBytes: options.maxBytes ?? 10 * 1024 * 1024,
    expiresAt: options.expiresAt ?? null,
  };
}

export async function makeRequestLink(owner: SharingUser, folderId: string, options: RequestLinkOptions = {}) {
  const body = await requestLinkBody(owner, folderId, options);
  return ok<RequestLinkRecord>(owner.request('/api/request-links', json(body)), 201);
}

/** The owner's fingerprint, as the link's fragment carries it. */
export async function ownerFingerprint(owner: SharingUser): Promise<string> {
  return fingerprintText([
    await exportPublicKey(owner.keys.sharing.publicKey),
    await exportPublicKey(owner.keys.signing.publicKey),
  ]);
}

/** A request without an account, as the request page sends it. */
export function anonymous(h: Harness, path: string, init: RequestInit = {}): Promise<Response> {
  return Promise.resolve(
    h.app.request(path, { ...init, headers: { ...ORIGIN, ...(init.headers as Record<string, string>) } }),
  );
}

/** What the request page sends to begin the upload of `file` through the link, sealed to the owner. */
export async function requestUploadBody(owner: SharingUser, linkId: string, folderId: string, file: EncryptedFile) {
  const ownerKeys = {
    sharing: await exportPublicKey(owner.keys.sharing.publicKey),
    signing: await exportPublicKey(owner.keys.signing.publicKey),
  };
  const place = { requestLinkId: linkId, ownerId: owner.id, nodeId: file.nodeId };
  const seal = await sealRequestFileKey(ownerKeys, await ownerFingerprint(owner), file.fileKey, place);
  const metadata = await encryptMetadata(
    file.fileKey,
    { ownerId: owner.id, nodeId: file.nodeId, parentId: folderId, kind: 'file' },
    { name: 'scan.pdf', type: 'application/pdf', size: file.plaintext.length, modified: 0, revision: 1 },
  );
  const { header, size, chunkCount } = createUploadRequest(file);
  return { nodeId: file.nodeId, header, size, chunkCount, seal, encryptedMetadata: encodeBase64url(metadata) };
}

export async function beginRequestUpload(
  h: Harness,
  owner: SharingUser,
  linkId: string,
  folderId: string,
  file: EncryptedFile,
): Promise<RequestUploadRecord> {
  const body = await requestUploadBody(owner, linkId, folderId, file);
  return ok<RequestUploadRecord>(anonymous(h, `/api/r/${linkId}/uploads`, json(body)), 201);
}

export function putRequestChunk(h: Harness, linkId: string, uploadId: string, index: number, body: Uint8Array) {
  return anonymous(h, `/api/r/${linkId}/uploads/${uploadId}/chunks/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
    body: new Uint8Array(body),
  });
}

/** A whole upload by a stranger: begun, every chunk sent, completed. */
export async function strangerUploads(
  h: Harness,
  owner: SharingUser,
  linkId: string,
  folderId: string,
  plaintext = crypto.getRandomValues(new Uint8Array(3000)),
): Promise<{ upload: RequestUploadRecord; file: EncryptedFile }> {
  const file = await encryptFile(plaintext);
  const upload = await beginRequestUpload(h, owner, linkId, folderId, file);
  for (const [index, chunk] of file.chunks.entries()) {
    await ok(putRequestChunk(h, linkId, upload.id, index, chunk), 204);
  }
  await ok(anonymous(h, `/api/r/${linkId}/uploads/${upload.id}/complete`, { method: 'POST' }));
  return { upload, file };
}

/** The owner's client opens the seal and wraps the file key under the folder's key. */
export async function acceptBody(
  owner: SharingUser,
  pending: {
    nodeId: string;
    parentId: string;
    requestLinkId: string;
    seal: { ephemeralPublicKey: string; wrapped: string };
  },
  folderKey: Uint8Array,
) {
  const fileKey = await openRequestFileKey(
    { privateKey: owner.keys.sharing.privateKey, publicKey: await exportPublicKey(owner.keys.sharing.publicKey) },
    pending.seal,
    { requestLinkId: pending.requestLinkId, ownerId: owner.id, nodeId: pending.nodeId },
  );
  const wrappedKey = await wrapNodeKey(folderKey, fileKey, {
    ownerId: owner.id,
    nodeId: pending.nodeId,
    parentId: pending.parentId,
    kind: 'file',
  });
  return { fileKey, body: { wrappedKey } };
}
