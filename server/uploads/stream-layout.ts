/**
 * Where each chunk of a stored stream lies (docs/FORMAT.md section 3): the 80-byte header, then chunks of the same
 * token length except the last. From the header's chunk size and the declared size the server knows every chunk's
 * exact length, so it can refuse a chunk of the wrong size before storing a byte.
 */
import { MIN_TOKEN_BYTES, TOKEN_OVERHEAD_BYTES } from '../../shared/crypto/fernet.ts';
import {
  bytesToUuid,
  CofferCryptoError,
  decodeBase64url,
  HEADER_BYTES,
  readHeaderFields,
  tokenLength,
} from '../../shared/crypto/index.ts';
import { ApiError } from '../http/errors.ts';

export interface StreamLayout {
  size: number;
  chunkCount: number;
  fullChunkBytes: number;
  finalChunkBytes: number;
}

export function streamLayout(chunkSize: number, size: number, chunkCount: number): StreamLayout {
  const fullChunkBytes = tokenLength(chunkSize);
  const finalChunkBytes = size - HEADER_BYTES - (chunkCount - 1) * fullChunkBytes;
  const plausible =
    finalChunkBytes >= MIN_TOKEN_BYTES &&
    finalChunkBytes <= fullChunkBytes &&
    (finalChunkBytes - TOKEN_OVERHEAD_BYTES) % 16 === 0;
  if (!plausible) {
    const smallest = HEADER_BYTES + (chunkCount - 1) * fullChunkBytes + MIN_TOKEN_BYTES;
    const largest = HEADER_BYTES + chunkCount * fullChunkBytes;
    throw new ApiError(
      400,
      'SIZE_MISMATCH',
      `a stream of ${chunkCount} chunks of ${chunkSize} bytes is ${smallest} to ${largest} bytes (in steps of 16), not ${size}`,
    );
  }
  return { size, chunkCount, fullChunkBytes, finalChunkBytes };
}

export function chunkBytes(layout: StreamLayout, index: number): number {
  return index === layout.chunkCount - 1 ? layout.finalChunkBytes : layout.fullChunkBytes;
}

/** Offset of chunk `index` in the whole stream. */
export function chunkOffset(layout: StreamLayout, index: number): number {
  return HEADER_BYTES + index * layout.fullChunkBytes;
}

/** The fields of an upload's stream header (FORMAT.md section 3.1), or a 400 that says what is wrong with it. */
export function readUploadHeader(header: Uint8Array) {
  if (header.length !== HEADER_BYTES) {
    throw new ApiError(400, 'BAD_HEADER', `the stream header is ${HEADER_BYTES} bytes, got ${header.length}`);
  }
  try {
    return readHeaderFields(header);
  } catch (error) {
    if (error instanceof CofferCryptoError) throw new ApiError(400, 'BAD_HEADER', error.message);
    throw error;
  }
}

/**
 * An upload's stream header, sent as base64url, with its fields: a 400 when it is malformed or names another file than
 * `nodeId`, the one the upload is for, since the header's file id is bound into every chunk the client encrypted.
 */
export function readHeaderForFile(encoded: string, nodeId: string) {
  const header = decodeBase64url(encoded);
  const fields = readUploadHeader(header);
  if (bytesToUuid(fields.fileId) !== nodeId.toLowerCase()) {
    throw new ApiError(
      400,
      'HEADER_MISMATCH',
      `the header names file ${bytesToUuid(fields.fileId)}, the upload is for ${nodeId}`,
    );
  }
  return { header, fields };
}
