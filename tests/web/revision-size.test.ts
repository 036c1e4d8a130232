/**
 * The exact size of a version, as restoring it writes into the file's metadata, against a server that lies in its
 * record of the revision: a lie about the chunk size or the node id changes nothing, and a lie about the chunk count,
 * or a chunk other than the last, is refused.
 */
import { describe, expect, it } from 'vitest';
import {
  CofferCryptoError,
  encodeBase64url,
  encryptBytes,
  generateKey,
  HEADER_BYTES,
  tokenLength,
  uuidToBytes,
} from '../../shared/crypto/index.ts';
import type { RevisionRecord } from '../../web/src/lib/files/node-records.ts';
import { exactPlaintextSize, type ChunkReader } from '../../web/src/lib/files/revision-size.ts';
import { patternBytes } from '../vectors/pattern.ts';

const CHUNK_SIZE = 1024;
const PLAINTEXT_BYTES = 3 * CHUNK_SIZE + 300;

async function storedVersion() {
  const nodeId = crypto.randomUUID();
  const fileKey = generateKey();
  const stream = await encryptBytes(patternBytes(PLAINTEXT_BYTES), {
    fileKey,
    fileId: uuidToBytes(nodeId),
    revision: 2,
    chunkSize: CHUNK_SIZE,
  });
  const chunks: Uint8Array[] = [];
  for (let offset = HEADER_BYTES; offset < stream.length; offset += tokenLength(CHUNK_SIZE)) {
    chunks.push(stream.subarray(offset, offset + tokenLength(CHUNK_SIZE)));
  }
  const record: RevisionRecord = {
    id: crypto.randomUUID(),
    nodeId,
    number: 2,
    header: encodeBase64url(stream.subarray(0, HEADER_BYTES)),
    size: stream.length,
    chunkSize: CHUNK_SIZE,
    chunkCount: chunks.length,
    createdAt: '2026-12-01T10:00:00.000Z',
    completedAt: '2026-12-01T10:00:01.000Z',
    thumbnail: false,
    authorId: null,
  };
  /** The server's store: every chunk of this revision, whatever index its record makes the client ask for. */
  const readChunk: ChunkReader = async (revision, index) => {
    const chunk = chunks[index];
    if (revision.id !== record.id || !chunk) throw new Error(`no chunk ${index}`);
    return chunk;
  };
  return { nodeId, fileKey, record, chunks, readChunk };
}

describe('the exact size of a stored version', () => {
  it('is read from the authenticated last chunk', async () => {
    const { nodeId, fileKey, record, readChunk } = await storedVersion();
    expect(record.chunkCount).toBe(4);
    expect(await exactPlaintextSize(fileKey, nodeId, record, readChunk)).toBe(PLAINTEXT_BYTES);
  });

  it("takes the chunk size from the authenticated header, whatever the server's record says", async () => {
    const { nodeId, fileKey, record, readChunk } = await storedVersion();
    for (const chunkSize of [CHUNK_SIZE / 2, CHUNK_SIZE * 2, 1]) {
      expect(await exactPlaintextSize(fileKey, nodeId, { ...record, chunkSize }, readChunk)).toBe(PLAINTEXT_BYTES);
    }
  });

  it("takes the node id from the opened node, whatever the server's record says", async () => {
    const { nodeId, fileKey, record, readChunk } = await storedVersion();
    const lying = { ...record, nodeId: crypto.randomUUID() };
    expect(await exactPlaintextSize(fileKey, nodeId, lying, readChunk)).toBe(PLAINTEXT_BYTES);
    // And a version of another file, under the server's id for it, is no version of this one.
    await expect(exactPlaintextSize(fileKey, lying.nodeId, lying, readChunk)).rejects.toThrow(CofferCryptoError);
  });

  it('refuses a record that lies about the chunk count, or a chunk other than the last', async () => {
    const { nodeId, fileKey, record, chunks, readChunk } = await storedVersion();
    for (const chunkCount of [record.chunkCount - 1, record.chunkCount - 2, 1]) {
      await expect(exactPlaintextSize(fileKey, nodeId, { ...record, chunkCount }, readChunk)).rejects.toThrow(
        CofferCryptoError,
      );
    }
    const firstChunk: ChunkReader = async () => chunks[0]!;
    await expect(exactPlaintextSize(fileKey, nodeId, record, firstChunk)).rejects.toThrow(CofferCryptoError);
  });
});
