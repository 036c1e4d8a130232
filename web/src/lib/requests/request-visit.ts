/**
 * A file-request link as the uploader's page uses it, with no account (docs/FORMAT.md section 4.5). Before anything
 * else, the owner's public keys the server sends must have the fingerprint the link's fragment carries, and the
 * owner's signature over the message, folder and owner must verify with them; only then is anything sealed. Each file
 * gets a fresh key, sealed to the owner's sharing key: this page keeps nothing that opens it afterwards, and nobody
 * but the owner opens it. Its name and details are encrypted under that key, as any file's.
 */
import type { OpenRequestLinkResponse, RequestUploadRecord } from '$shared/api/responses.ts';
import type { CreateRequestUploadRequest } from '$shared/api/schemas.ts';
import {
  checkKeyFingerprint,
  decodeBase64url,
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  encryptBytes,
  encryptMetadata,
  generateKey,
  HEADER_BYTES,
  sealRequestFileKey,
  tokenLength,
  uuidToBytes,
  verifyRequestTerms,
  type OwnerPublicKeys,
} from '$shared/crypto/index.ts';
import { ApiRequestError } from '../api.ts';

/** A request link whose owner's keys and terms checked out. */
export interface CheckedRequest {
  linkId: string;
  fingerprint: string;
  ownerId: string;
  folderId: string;
  ownerKeys: OwnerPublicKeys;
  message: string;
  expiresAt: string | null;
  filesLeft: number;
  bytesLeft: number;
}

/** Chunks per request body: the server takes up to 64. */
const CHUNKS_PER_REQUEST = 8;

async function requestApi<T>(method: string, path: string, body?: BodyInit, type?: string): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: 'omit',
    headers: type ? { 'content-type': type } : {},
    body: body ?? null,
  });
  const text = await response.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const error = (json as { error?: { code: string; message: string } } | undefined)?.error;
    throw new ApiRequestError(
      error?.code ?? 'HTTP_ERROR',
      error?.message ?? `the server answered ${response.status}`,
      response.status,
    );
  }
  return json as T;
}

/** The link's terms, once the owner's keys match the fingerprint (PUBLIC_KEY_MISMATCH) and signed them. */
export async function openRequest(linkId: string, fingerprint: string): Promise<CheckedRequest> {
  const opened = await requestApi<OpenRequestLinkResponse>('GET', `/api/r/${encodeURIComponent(linkId)}`);
  const ownerKeys = {
    sharing: decodeBase64url(opened.ownerPublicKeys.sharing),
    signing: decodeBase64url(opened.ownerPublicKeys.signing),
  };
  await checkKeyFingerprint([ownerKeys.sharing, ownerKeys.signing], fingerprint);
  await verifyRequestTerms(ownerKeys.signing, opened.messageSignature, {
    requestLinkId: linkId,
    ownerId: opened.ownerId,
    folderId: opened.folderId,
    message: opened.message,
  });
  return {
    linkId,
    fingerprint,
    ownerId: opened.ownerId,
    folderId: opened.folderId,
    ownerKeys,
    message: opened.message,
    expiresAt: opened.expiresAt,
    filesLeft: opened.filesLeft,
    bytesLeft: opened.bytesLeft,
  };
}

/** Encrypts, seals and uploads one file; `progress` hears the share of its chunks sent. */
export async function uploadToRequest(
  request: CheckedRequest,
  file: File,
  progress: (sent: number) => void = () => {},
): Promise<void> {
  const nodeId = crypto.randomUUID();
  const fileKey = generateKey();
  const place = { ownerId: request.ownerId, nodeId, parentId: request.folderId, kind: 'file' as const };
  // Sealing checks the keys against the fragment once more: nothing is sealed to keys the link does not name.
  const seal = await sealRequestFileKey(request.ownerKeys, request.fingerprint, fileKey, {
    requestLinkId: request.linkId,
    ownerId: request.ownerId,
    nodeId,
  });
  const metadata = await encryptMetadata(fileKey, place, {
    name: file.name,
    type: file.type,
    size: file.size,
    modified: file.lastModified,
    revision: 1,
  });
  const stream = await encryptBytes(new Uint8Array(await file.arrayBuffer()), {
    fileKey,
    fileId: uuidToBytes(nodeId),
    revision: 1,
    chunkSize: DEFAULT_CHUNK_SIZE,
  });
  const fullToken = tokenLength(DEFAULT_CHUNK_SIZE);
  const chunkCount = Math.max(1, Math.ceil((stream.length - HEADER_BYTES) / fullToken));
  const begin: CreateRequestUploadRequest = {
    nodeId,
    header: encodeBase64url(stream.subarray(0, HEADER_BYTES)),
    size: stream.length,
    chunkCount,
    seal,
    encryptedMetadata: encodeBase64url(metadata),
  };
  const base = `/api/r/${encodeURIComponent(request.linkId)}/uploads`;
  const upload = await requestApi<RequestUploadRecord>('POST', base, JSON.stringify(begin), 'application/json');
  for (let first = 0; first < chunkCount; first += CHUNKS_PER_REQUEST) {
    const count = Math.min(CHUNKS_PER_REQUEST, chunkCount - first);
    const start = HEADER_BYTES + first * fullToken;
    const end = Math.min(stream.length, HEADER_BYTES + (first + count) * fullToken);
    await requestApi<undefined>(
      'PUT',
      `${base}/${upload.id}/chunks/${first}?count=${count}`,
      stream.slice(start, end),
      'application/octet-stream',
    );
    progress((first + count) / chunkCount);
  }
  await requestApi<RequestUploadRecord>('POST', `${base}/${upload.id}/complete`);
}
