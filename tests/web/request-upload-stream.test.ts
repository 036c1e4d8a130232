/**
 * The uploader's page sends a file through a request link a segment at a time: it never holds more than a couple of
 * segments of the file, whatever its size, and the bytes it sends are a stream that opens, with the key sealed to the
 * owner, to the file's own bytes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeBase64url,
  decryptBytes,
  DEFAULT_CHUNK_SIZE,
  exportPublicKey,
  fingerprintText,
  generateAccountKeyPairs,
  openRequestFileKey,
  uuidToBytes,
} from '../../shared/crypto/index.ts';
import type { CreateRequestUploadRequest } from '../../shared/api/schemas.ts';
import { uploadToRequest, type CheckedRequest } from '../../web/src/lib/requests/request-visit.ts';
import { CHUNKS_PER_SEGMENT } from '../../web/src/lib/upload/segment-plan.ts';

const SEGMENT_BYTES = CHUNKS_PER_SEGMENT * DEFAULT_CHUNK_SIZE;
/** Five segments and a piece: enough that holding the whole file is far more than holding two segments. */
const original = new Uint8Array(5 * SEGMENT_BYTES + 12_345);
for (let i = 0; i < original.length; i++) original[i] = (i * 7 + (i >> 11)) & 0xff;

/** A file that counts the bytes anyone has taken from it, by stream or all at once. */
function countingFile(bytes: Uint8Array) {
  const taken = { bytes: 0 };
  const streamFrom = (start: number) => {
    let position = start;
    return new ReadableStream({
      type: 'bytes',
      pull(controller) {
        const end = Math.min(bytes.length, position + 65_536);
        controller.enqueue(bytes.slice(position, end));
        taken.bytes += end - position;
        position = end;
        if (position >= bytes.length) controller.close();
      },
    });
  };
  const file = {
    name: 'big.bin',
    type: 'application/octet-stream',
    size: bytes.length,
    lastModified: 1_700_000_000_000,
    slice: (start = 0) => ({ stream: () => streamFrom(start), size: bytes.length - start }),
    stream: () => streamFrom(0),
    arrayBuffer: async () => {
      taken.bytes += bytes.length;
      return bytes.slice().buffer;
    },
  };
  return { file: file as unknown as File, taken };
}

afterEach(() => vi.unstubAllGlobals());

describe('uploading through a request link', () => {
  it('reads and sends the file a segment at a time, and what it sends opens to the file', async () => {
    const owner = await generateAccountKeyPairs();
    const ownerKeys = {
      sharing: await exportPublicKey(owner.sharing.publicKey),
      signing: await exportPublicKey(owner.signing.publicKey),
    };
    const request: CheckedRequest = {
      linkId: crypto.randomUUID(),
      fingerprint: await fingerprintText([ownerKeys.sharing, ownerKeys.signing]),
      ownerId: crypto.randomUUID(),
      folderId: crypto.randomUUID(),
      ownerKeys,
      message: 'Please send the scans',
      expiresAt: null,
      filesLeft: 1,
      bytesLeft: 1e9,
    };
    const { file, taken } = countingFile(original);
    let begin: CreateRequestUploadRequest | undefined;
    const bodies: Uint8Array[] = [];
    /** For each PUT: bytes taken from the file beyond those of the chunks sent before it. */
    const heldAhead: number[] = [];
    let completed = false;
    vi.stubGlobal('fetch', async (path: string, init: RequestInit) => {
      const answer = (value: unknown) => new Response(value === undefined ? null : JSON.stringify(value));
      if (init.method === 'POST' && path.endsWith('/uploads')) {
        begin = JSON.parse(init.body as string) as CreateRequestUploadRequest;
        return answer({ id: 'u1' });
      }
      if (init.method === 'PUT') {
        const first = Number(/chunks\/(\d+)/.exec(path)![1]);
        heldAhead.push(taken.bytes - first * DEFAULT_CHUNK_SIZE);
        bodies.push(new Uint8Array(init.body as Uint8Array));
        return answer(undefined);
      }
      completed = true;
      return answer({ id: 'u1' });
    });

    await uploadToRequest(request, file);

    expect(completed).toBe(true);
    expect(bodies.length).toBe(6);
    expect(Math.max(...heldAhead)).toBeLessThanOrEqual(2 * SEGMENT_BYTES);
    const header = decodeBase64url(begin!.header);
    const stream = new Uint8Array(Buffer.concat([header, ...bodies]));
    expect(stream.length).toBe(begin!.size);
    expect(begin!.chunkCount).toBe(Math.ceil(original.length / DEFAULT_CHUNK_SIZE));
    const fileKey = await openRequestFileKey(
      { privateKey: owner.sharing.privateKey, publicKey: ownerKeys.sharing },
      begin!.seal,
      { requestLinkId: request.linkId, ownerId: request.ownerId, nodeId: begin!.nodeId },
    );
    const opened = await decryptBytes(stream, {
      fileKey,
      expected: { fileId: uuidToBytes(begin!.nodeId), revision: 1 },
    });
    expect(opened.length).toBe(original.length);
    expect(Buffer.compare(Buffer.from(opened), Buffer.from(original))).toBe(0);
  });
});
