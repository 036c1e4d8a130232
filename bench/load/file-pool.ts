/**
 * Small files encrypted as the web app encrypts them (a file key, the stream format at the default chunk size, the
 * key wrapped under the folder's key), each ready as the body of a one-file POST /api/uploads/batch. They are made
 * before the timed phase: 200 clients encrypting on the load generator's share of two cores would measure the
 * load generator. A client that uses up its pool encrypts on demand, and the report counts those.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_CHUNK_SIZE,
  encodeBase64url,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  KEY_PURPOSES,
  uuidToBytes,
  wrapKey,
} from '../../shared/crypto/index.ts';

export interface PooledFile {
  nodeId: string;
  /** The whole stream (header and its one chunk): what a download must answer, byte for byte. */
  ciphertext: Buffer;
  /** The batch request's JSON, made once. */
  body: string;
}

export interface FolderKeys {
  userId: string;
  folderId: string;
  folderKey: Uint8Array;
}

export async function encryptSmallFile(folder: FolderKeys, plaintextBytes: number): Promise<PooledFile> {
  const nodeId = crypto.randomUUID();
  const fileKey = generateKey();
  const ciphertext = Buffer.from(
    await encryptBytes(randomBytes(plaintextBytes), {
      fileKey,
      fileId: uuidToBytes(nodeId),
      revision: 1,
      chunkSize: DEFAULT_CHUNK_SIZE,
    }),
  );
  const wrappedKey = await wrapKey(folder.folderKey, fileKey, {
    purpose: KEY_PURPOSES.fileKey,
    owner: folder.userId,
    object: nodeId,
  });
  const file = {
    nodeId,
    // The server stores the metadata without reading it; random bytes of a name-and-dates record's length.
    newFile: { parentId: folder.folderId, wrappedKey, encryptedMetadata: encodeBase64url(randomBytes(160)) },
    header: encodeBase64url(ciphertext.subarray(0, HEADER_BYTES)),
    chunk: encodeBase64url(ciphertext.subarray(HEADER_BYTES)),
  };
  return { nodeId, ciphertext, body: JSON.stringify({ files: [file] }) };
}
