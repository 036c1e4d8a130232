/**
 * The exact plaintext size of a stored version, read from its authenticated last chunk: the ciphertext size alone is
 * exact only to within the padding. Restoring a version writes this size into the file's metadata, so nothing in it
 * is taken from the server's record of the revision unless authenticated: the node id is the opened node's (its key
 * unwrapped bound to that id), the chunk size is the header's (authenticated under the file key), and the last chunk
 * must authenticate as the final chunk at its index. A record that lies about its chunk count fails that check.
 */
import { decodeBase64url, decryptChunk, openHeader, uuidToBytes } from '$shared/crypto/index.ts';
import type { RevisionRecord } from './node-records.ts';

/** Answers one chunk of a revision, as the server stores it (unauthenticated). */
export type ChunkReader = (revision: RevisionRecord, index: number) => Promise<Uint8Array>;

export async function exactPlaintextSize(
  fileKey: Uint8Array,
  nodeId: string,
  revision: RevisionRecord,
  readChunk: ChunkReader = fetchChunk,
): Promise<number> {
  const keys = await openHeader(fileKey, decodeBase64url(revision.header), {
    fileId: uuidToBytes(nodeId),
    revision: revision.number,
  });
  const last = revision.chunkCount - 1;
  const plaintext = await decryptChunk(keys, last, true, await readChunk(revision, last));
  return last * keys.params.chunkSize + plaintext.length;
}

async function fetchChunk(revision: RevisionRecord, index: number): Promise<Uint8Array> {
  const response = await fetch(`/api/revisions/${revision.id}/chunks/${index}`, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`Version ${revision.number} could not be read (HTTP ${response.status}).`);
  return new Uint8Array(await response.arrayBuffer());
}
