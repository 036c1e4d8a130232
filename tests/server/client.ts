/** What the browser will do, done in tests: encrypt with shared/crypto, then talk to the API. */
import { expect } from 'vitest';
import {
  encodeBase64url,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  tokenLength,
  uuidToBytes,
  wrapKey,
} from '../../shared/crypto/index.ts';
import type { TestUser } from './harness.ts';

export const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

export async function ok<T = Record<string, unknown>>(
  response: Promise<Response> | Response,
  status = 200,
): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Asserts the API's error contract: this status, this code, a message. */
export async function fails(response: Promise<Response> | Response, status: number, code: string): Promise<string> {
  const res = await response;
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  expect({ status: res.status, code: body.error?.code }, JSON.stringify(body)).toEqual({ status, code });
  expect(body.error?.message).toMatch(/\w/);
  return body.error!.message!;
}

export const randomMetadata = () => encodeBase64url(crypto.getRandomValues(new Uint8Array(120)));

/** Bytes the server stores as a wrapped key without reading them: the tests here check what the server does. */
export const randomWrappedKey = () => encodeBase64url(crypto.getRandomValues(new Uint8Array(120)));

/** A folder under `parentId`, with a key and metadata the server cannot tell from real ones. */
export async function createFolder(user: TestUser, parentId: string): Promise<string> {
  const id = crypto.randomUUID();
  await ok(
    user.request(
      '/api/nodes/folders',
      json({ id, parentId, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() }),
    ),
    201,
  );
  return id;
}

export async function createRoot(user: TestUser): Promise<string> {
  const id = crypto.randomUUID();
  const wrappedKey = await wrapKey(generateKey(), generateKey(), { purpose: 'folder-key', owner: user.id, object: id });
  await ok(
    user.request('/api/nodes/folders', json({ id, parentId: null, wrappedKey, encryptedMetadata: randomMetadata() })),
    201,
  );
  return id;
}

export interface EncryptedFile {
  nodeId: string;
  fileKey: Uint8Array;
  plaintext: Uint8Array;
  ciphertext: Uint8Array;
  header: Uint8Array;
  chunks: Uint8Array[];
}

export async function encryptFile(
  plaintext: Uint8Array,
  options: { nodeId?: string; revision?: number; chunkSize?: number } = {},
): Promise<EncryptedFile> {
  const nodeId = options.nodeId ?? crypto.randomUUID();
  const fileKey = generateKey();
  const chunkSize = options.chunkSize ?? 1024;
  const ciphertext = await encryptBytes(plaintext, {
    fileKey,
    fileId: uuidToBytes(nodeId),
    revision: options.revision ?? 1,
    chunkSize,
  });
  const tokenBytes = tokenLength(chunkSize);
  const chunks: Uint8Array[] = [];
  for (let offset = HEADER_BYTES; offset < ciphertext.length; offset += tokenBytes) {
    chunks.push(ciphertext.subarray(offset, Math.min(offset + tokenBytes, ciphertext.length)));
  }
  return { nodeId, fileKey, plaintext, ciphertext, header: ciphertext.subarray(0, HEADER_BYTES), chunks };
}

export interface UploadInfo {
  uploadId: string;
  revisionId: string;
  revision: number;
  received: number[];
  completedAt: string | null;
}

export function createUploadRequest(file: EncryptedFile, parentId?: string) {
  return {
    nodeId: file.nodeId,
    ...(parentId
      ? { newFile: { parentId, wrappedKey: 'gAAAAA' + 'A'.repeat(200), encryptedMetadata: randomMetadata() } }
      : {}),
    header: encodeBase64url(file.header),
    size: file.ciphertext.length,
    chunkCount: file.chunks.length,
  };
}

export async function startUpload(user: TestUser, file: EncryptedFile, parentId?: string): Promise<UploadInfo> {
  return ok<UploadInfo>(user.request('/api/uploads', json(createUploadRequest(file, parentId))), 201);
}

export function putChunk(user: TestUser, uploadId: string, index: number, body: Uint8Array) {
  return user.request(`/api/uploads/${uploadId}/chunks/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(body.length) },
    body: new Uint8Array(body),
  });
}

/** Several consecutive chunks in one request body. */
export function putChunks(
  user: TestUser,
  uploadId: string,
  first: number,
  chunks: Uint8Array[],
  headers: Record<string, string> = {},
) {
  const body = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return user.request(`/api/uploads/${uploadId}/chunks/${first}?count=${chunks.length}`, {
    method: 'PUT',
    headers,
    body,
  });
}

/** Uploads a whole new file (or a new revision when parentId is undefined), chunks in parallel. */
export async function uploadFile(user: TestUser, file: EncryptedFile, parentId?: string): Promise<UploadInfo> {
  const upload = await startUpload(user, file, parentId);
  await Promise.all(file.chunks.map(async (chunk, index) => ok(putChunk(user, upload.uploadId, index, chunk), 204)));
  return ok<UploadInfo>(user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
}

export async function download(user: TestUser, revisionId: string, headers: Record<string, string> = {}) {
  const response = await user.request(`/api/revisions/${revisionId}/content`, { headers });
  return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}
