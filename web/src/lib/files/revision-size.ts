/**
 * The exact plaintext size of a stored version, read from its authenticated last chunk: the ciphertext size alone is
 * exact only to within the padding. Restoring a version writes this size into the file's metadata.
 */
import { decodeBase64url, decryptChunk, openHeader, uuidToBytes } from '$shared/crypto/index.ts';
import type { RevisionRecord } from './node-records.ts';

export async function exactPlaintextSize(fileKey: Uint8Array, revision: RevisionRecord): Promise<number> {
  const keys = await openHeader(fileKey, decodeBase64url(revision.header), {
    fileId: uuidToBytes(revision.nodeId),
    revision: revision.number,
  });
  const last = revision.chunkCount - 1;
  const response = await fetch(`/api/revisions/${revision.id}/chunks/${last}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Version ${revision.number} could not be read (HTTP ${response.status}).`);
  const plaintext = await decryptChunk(keys, last, true, new Uint8Array(await response.arrayBuffer()));
  return last * revision.chunkSize + plaintext.length;
}
