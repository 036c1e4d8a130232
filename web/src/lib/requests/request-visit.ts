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
  encryptChunkInto,
  encryptMetadata,
  generateKey,
  NONCE_BYTES,
  sealHeader,
  sealRequestFileKey,
  StreamKeys,
  tokenLength,
  uuidToBytes,
  verifyRequestTerms,
  type OwnerPublicKeys,
} from '$shared/crypto/index.ts';
import { ApiRequestError } from '../api.ts';
import {
  chunkCountOf,
  chunkRange,
  missingSegments,
  segmentRange,
  streamSizeOf,
  type Segment,
} from '../upload/segment-plan.ts';
import { SequentialFileReader } from '../upload/sequential-file-reader.ts';

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

/**
 * Encrypts, seals and uploads one file; `progress` hears the share of its chunks sent. The file is read and encrypted
 * one segment at a time, as the app's own upload does, so the page holds a segment of plaintext and one request body
 * whatever the file's size: the stream's size and chunk count follow from the file's size, before anything is read.
 */
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
  const chunkSize = DEFAULT_CHUNK_SIZE;
  const keys = await StreamKeys.derive(fileKey, {
    chunkSize,
    fileId: uuidToBytes(nodeId),
    revision: 1,
    nonce: crypto.getRandomValues(new Uint8Array(NONCE_BYTES)),
  });
  const chunkCount = chunkCountOf(file.size, chunkSize);
  const begin: CreateRequestUploadRequest = {
    nodeId,
    header: encodeBase64url(await sealHeader(keys)),
    size: streamSizeOf(file.size, chunkSize),
    chunkCount,
    seal,
    encryptedMetadata: encodeBase64url(metadata),
  };
  const base = `/api/r/${encodeURIComponent(request.linkId)}/uploads`;
  const upload = await requestApi<RequestUploadRecord>('POST', base, JSON.stringify(begin), 'application/json');
  const reader = new SequentialFileReader(file);
  try {
    for (const segment of missingSegments(chunkCount, [])) {
      const body = await encryptSegment(keys, reader, file.size, chunkCount, segment);
      await requestApi<undefined>(
        'PUT',
        `${base}/${upload.id}/chunks/${segment.first}?count=${segment.count}`,
        body,
        'application/octet-stream',
      );
      progress((segment.first + segment.count) / chunkCount);
    }
  } finally {
    await reader.close();
  }
  await requestApi<RequestUploadRecord>('POST', `${base}/${upload.id}/complete`);
}

/** A segment's chunks as one request body, each token encrypted straight into its place (as upload-worker.ts does). */
async function encryptSegment(
  keys: StreamKeys,
  reader: SequentialFileReader,
  size: number,
  chunkCount: number,
  segment: Segment,
): Promise<Uint8Array<ArrayBuffer>> {
  const { start, end } = segmentRange(segment, size, keys.params.chunkSize);
  const plaintext = await reader.read(start, end);
  const chunks = Array.from({ length: segment.count }, (_, offset) => {
    const index = segment.first + offset;
    const range = chunkRange(index, size, keys.params.chunkSize);
    return { index, plaintext: plaintext.subarray(range.start - start, range.end - start), offset: 0 };
  });
  let length = 0;
  for (const chunk of chunks) {
    chunk.offset = length;
    length += tokenLength(chunk.plaintext.length);
  }
  const body = new Uint8Array(length);
  await Promise.all(
    chunks.map(({ index, plaintext, offset }) =>
      encryptChunkInto(keys, index, index === chunkCount - 1, plaintext, body, offset),
    ),
  );
  return body;
}
