import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptBytes, uuidToBytes } from '../../shared/crypto/index.ts';
import { revisions } from '../../server/db/schema.ts';
import { collectStaleUploads } from '../../server/uploads/collect-stale.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { patternBytes } from '../vectors/pattern.ts';
import {
  createRoot,
  createUploadRequest,
  download,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  putChunks,
  randomMetadata,
  startUpload,
  uploadFile,
  type UploadInfo,
} from './client.ts';
import { createHarness, UPLOAD_IDLE_MS, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

describe.each(DATABASE_KINDS)('uploads on %s', (kind) => {
  let h: Harness;
  let alice: TestUser;
  let root: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    alice = await h.makeUser();
    root = await createRoot(alice);
  });
  afterAll(() => h.close());

  it('uploads a file in parallel chunks and serves back the exact stream', async () => {
    const file = await encryptFile(patternBytes(10_000));
    const done = await uploadFile(alice, file, root);
    expect(done.completedAt).not.toBeNull();
    const { response, bytes } = await download(alice, done.revisionId);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(file.ciphertext.length));
    expectBytes(bytes, file.ciphertext);
    const plaintext = await decryptBytes(bytes, {
      fileKey: file.fileKey,
      expected: { fileId: uuidToBytes(file.nodeId), revision: 1 },
    });
    expectBytes(plaintext, file.plaintext);
    const children = await ok<{ children: { id: string; currentRevision: { id: string } }[] }>(
      alice.request(`/api/nodes/${root}/children`),
    );
    expect(children.children.map((child) => child.id)).toContain(file.nodeId);
  });

  it('shows nothing of a file until its upload completes', async () => {
    const file = await encryptFile(patternBytes(3000));
    const upload = await startUpload(alice, file, root);
    await ok(putChunk(alice, upload.uploadId, 0, file.chunks[0]!), 204);
    await fails(alice.request(`/api/nodes/${file.nodeId}`), 404, 'NOT_FOUND');
    await fails(alice.request(`/api/revisions/${upload.revisionId}/content`), 404, 'NOT_FOUND');
    const children = await ok<{ children: { id: string }[] }>(alice.request(`/api/nodes/${root}/children`));
    expect(children.children.map((child) => child.id)).not.toContain(file.nodeId);
  });

  it('resumes: lists what arrived, accepts chunks in any order and again, and refuses to complete early', async () => {
    const file = await encryptFile(patternBytes(5000));
    const upload = await startUpload(alice, file, root);
    expect(upload.received).toEqual([]);
    await ok(putChunk(alice, upload.uploadId, 3, file.chunks[3]!), 204);
    await ok(putChunk(alice, upload.uploadId, 1, file.chunks[1]!), 204);
    await ok(putChunk(alice, upload.uploadId, 1, file.chunks[1]!), 204);
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([1, 3]);
    await fails(
      alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }),
      409,
      'UPLOAD_INCOMPLETE',
    );
    for (const index of [0, 2, 4]) await ok(putChunk(alice, upload.uploadId, index, file.chunks[index]!), 204);
    const done = await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    // Completing again (a retry after a lost response) answers the same.
    expect(await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }))).toEqual(
      done,
    );
    await fails(putChunk(alice, upload.uploadId, 0, file.chunks[0]!), 409, 'UPLOAD_COMPLETED');
    expectBytes((await download(alice, done.revisionId)).bytes, file.ciphertext);
  });

  it('asks again for a chunk lost before completion instead of publishing the file without it', async () => {
    const file = await encryptFile(patternBytes(3000));
    const upload = await startUpload(alice, file, root);
    for (const [index, chunk] of file.chunks.entries()) await ok(putChunk(alice, upload.uploadId, index, chunk), 204);
    // What a power cut can do to a chunk that was stored but not yet made durable.
    await h.blobs.delete(`revisions/${upload.revisionId}/1`);
    await fails(
      alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }),
      409,
      'UPLOAD_INCOMPLETE',
    );
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([0, 2]);
    await ok(putChunk(alice, upload.uploadId, 1, file.chunks[1]!), 204);
    const done = await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expectBytes((await download(alice, done.revisionId)).bytes, file.ciphertext);
  });

  it('takes several consecutive chunks in one request', async () => {
    const file = await encryptFile(patternBytes(6000));
    const upload = await startUpload(alice, file, root);
    await ok(putChunks(alice, upload.uploadId, 0, file.chunks.slice(0, 2)), 204);
    await ok(putChunks(alice, upload.uploadId, 2, file.chunks.slice(2)), 204);
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    const done = await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expectBytes((await download(alice, done.revisionId)).bytes, file.ciphertext);
  });

  it('completes from batches sent again split differently, keeping only the blobs it reads', async () => {
    const file = await encryptFile(patternBytes(8000));
    const upload = await startUpload(alice, file, root);
    // A batch, then a retry of an overlapping run split another way, as a client resuming after a lost response.
    await ok(putChunks(alice, upload.uploadId, 0, file.chunks.slice(0, 4)), 204);
    await ok(putChunk(alice, upload.uploadId, 2, file.chunks[2]!), 204);
    await ok(putChunks(alice, upload.uploadId, 3, file.chunks.slice(3, 6)), 204);
    await ok(putChunks(alice, upload.uploadId, 5, file.chunks.slice(5)), 204);
    const done = await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expectBytes((await download(alice, done.revisionId)).bytes, file.ciphertext);
    for (const [index, chunk] of file.chunks.entries()) {
      const response = await alice.request(`/api/revisions/${done.revisionId}/chunks/${index}`);
      expectBytes(new Uint8Array(await response.arrayBuffer()), chunk);
    }
    const kept: string[] = [];
    for await (const key of h.blobs.list(`revisions/${done.revisionId}/`)) kept.push(key);
    expect(kept.sort()).toEqual(
      [
        `revisions/${done.revisionId}/0-4`,
        `revisions/${done.revisionId}/3-3`,
        `revisions/${done.revisionId}/5-3`,
      ].sort(),
    );
  });

  it('refuses a batch of the wrong length or count, and records none of it', async () => {
    const file = await encryptFile(patternBytes(6000));
    const upload = await startUpload(alice, file, root);
    const [a, b, c] = file.chunks as [Uint8Array, Uint8Array, Uint8Array];
    await fails(putChunks(alice, upload.uploadId, 0, [a, b.subarray(1)]), 400, 'CHUNK_SIZE_MISMATCH');
    const threeAsTwo = new Uint8Array([...a, ...b, ...c]);
    await fails(
      alice.request(`/api/uploads/${upload.uploadId}/chunks/0?count=2`, { method: 'PUT', body: threeAsTwo }),
      400,
      'CHUNK_SIZE_MISMATCH',
    );
    // Without a Content-Length, the lengths are only known as the body streams in.
    const unsized = (body: Uint8Array) =>
      alice.request(`/api/uploads/${upload.uploadId}/chunks/0?count=2`, {
        method: 'PUT',
        body: new Blob([new Uint8Array(body)]).stream(),
        duplex: 'half',
      } as RequestInit);
    await fails(unsized(new Uint8Array([...a, ...b.subarray(5)])), 400, 'CHUNK_SIZE_MISMATCH');
    await fails(unsized(new Uint8Array([...a, ...b, 7])), 400, 'CHUNK_SIZE_MISMATCH');
    for (const count of ['0', '7', '65', 'x', '-1']) {
      await fails(
        alice.request(`/api/uploads/${upload.uploadId}/chunks/0?count=${count}`, {
          method: 'PUT',
          body: new Uint8Array(a),
        }),
        400,
        'BAD_COUNT',
      );
    }
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([]);
  });

  it('refuses chunks of the wrong size or index, before storing them', async () => {
    const file = await encryptFile(patternBytes(2500));
    const upload = await startUpload(alice, file, root);
    await fails(putChunk(alice, upload.uploadId, 0, file.chunks[0]!.subarray(1)), 400, 'CHUNK_SIZE_MISMATCH');
    await fails(putChunk(alice, upload.uploadId, 2, file.chunks[0]!), 400, 'CHUNK_SIZE_MISMATCH');
    await fails(putChunk(alice, upload.uploadId, 3, file.chunks[2]!), 400, 'BAD_INDEX');
    await fails(putChunk(alice, upload.uploadId, -1, file.chunks[2]!), 400, 'BAD_INDEX');
    const lying = alice.request(`/api/uploads/${upload.uploadId}/chunks/2`, {
      method: 'PUT',
      body: new Uint8Array(file.chunks[0]!),
    });
    await fails(lying, 400, 'CHUNK_SIZE_MISMATCH');
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).received).toEqual([]);
  });

  it('checks the header against the upload', async () => {
    const file = await encryptFile(patternBytes(100));
    const request = createUploadRequest(file, root);
    await fails(
      alice.request('/api/uploads', json({ ...request, nodeId: crypto.randomUUID() })),
      400,
      'HEADER_MISMATCH',
    );
    await fails(alice.request('/api/uploads', json({ ...request, size: request.size + 1 })), 400, 'SIZE_MISMATCH');
    await fails(alice.request('/api/uploads', json({ ...request, chunkCount: 2 })), 400, 'SIZE_MISMATCH');
    await fails(alice.request('/api/uploads', json({ ...request, header: 'A'.repeat(107) + '=' })), 400, 'BAD_HEADER');
    const second = await encryptFile(patternBytes(100), { revision: 2 });
    await fails(alice.request('/api/uploads', json(createUploadRequest(second, root))), 409, 'REVISION_CONFLICT');
  });

  it('adds revisions to a file; the new one becomes current and the old one stays readable', async () => {
    const first = await encryptFile(patternBytes(1500));
    const one = await uploadFile(alice, first, root);
    const second = await encryptFile(patternBytes(2600), { nodeId: first.nodeId, revision: 2 });
    const two = await uploadFile(alice, second);
    expect(two.revision).toBe(2);
    const node = await ok<{ currentRevision: { id: string; number: number } }>(
      alice.request(`/api/nodes/${first.nodeId}`),
    );
    expect(node.currentRevision).toMatchObject({ id: two.revisionId, number: 2 });
    const list = await ok<{ revisions: { number: number }[] }>(alice.request(`/api/nodes/${first.nodeId}/revisions`));
    expect(list.revisions.map((r) => r.number)).toEqual([1, 2]);
    expectBytes((await download(alice, one.revisionId)).bytes, first.ciphertext);
    const stale = await encryptFile(patternBytes(10), { nodeId: first.nodeId, revision: 2 });
    await fails(alice.request('/api/uploads', json(createUploadRequest(stale))), 409, 'REVISION_CONFLICT');
  });

  it('serves byte ranges and single chunks, with caching headers', async () => {
    const file = await encryptFile(patternBytes(4000));
    const { revisionId } = await uploadFile(alice, file, root);
    const size = file.ciphertext.length;
    for (const [range, start, end] of [
      ['bytes=0-0', 0, 1],
      ['bytes=0-79', 0, 80],
      ['bytes=70-2000', 70, 2001],
      ['bytes=1000-', 1000, size],
      ['bytes=-10', size - 10, size],
      [`bytes=5-${size + 100}`, 5, size],
    ] as const) {
      const { response, bytes } = await download(alice, revisionId, { range });
      expect(response.status, range).toBe(206);
      expect(response.headers.get('content-range')).toBe(`bytes ${start}-${end - 1}/${size}`);
      expectBytes(bytes, file.ciphertext.subarray(start, end));
    }
    await fails(
      alice.request(`/api/revisions/${revisionId}/content`, { headers: { range: `bytes=${size}-` } }),
      416,
      'RANGE_NOT_SATISFIABLE',
    );
    const chunk = await alice.request(`/api/revisions/${revisionId}/chunks/2`);
    expectBytes(new Uint8Array(await chunk.arrayBuffer()), file.chunks[2]!);
    const full = await download(alice, revisionId);
    const etag = full.response.headers.get('etag')!;
    expect(full.response.headers.get('cache-control')).toContain('immutable');
    expect((await download(alice, revisionId, { 'if-none-match': etag })).response.status).toBe(304);
  });

  it('aborts an upload and frees its space', async () => {
    const before = await ok<{ usedBytes: number }>(alice.request('/api/usage'));
    const file = await encryptFile(patternBytes(3000));
    const upload = await startUpload(alice, file, root);
    await ok(putChunk(alice, upload.uploadId, 0, file.chunks[0]!), 204);
    expect((await ok<{ usedBytes: number }>(alice.request('/api/usage'))).usedBytes).toBe(
      before.usedBytes + file.ciphertext.length,
    );
    await ok(alice.request(`/api/uploads/${upload.uploadId}`, { method: 'DELETE' }), 204);
    await fails(alice.request(`/api/uploads/${upload.uploadId}`), 404, 'NOT_FOUND');
    expect((await ok<{ usedBytes: number }>(alice.request('/api/usage'))).usedBytes).toBe(before.usedBytes);
    expect(await h.blobs.stat(`revisions/${upload.revisionId}/0`)).toBeUndefined();
  });

  it('collects uploads left idle, and only those', async () => {
    const idle = await encryptFile(patternBytes(2000));
    const idleUpload = await startUpload(alice, idle, root);
    await ok(putChunk(alice, idleUpload.uploadId, 0, idle.chunks[0]!), 204);
    h.clock.now = new Date(h.clock.now.getTime() + UPLOAD_IDLE_MS / 2);
    const active = await encryptFile(patternBytes(2000));
    const activeUpload = await startUpload(alice, active, root);
    h.clock.now = new Date(h.clock.now.getTime() + UPLOAD_IDLE_MS / 2 + 1000);
    await fails(putChunk(alice, idleUpload.uploadId, 1, idle.chunks[1]!), 409, 'UPLOAD_EXPIRED');
    expect(await collectStaleUploads({ db: h.db, blobs: h.blobs, now: () => h.clock.now })).toBeGreaterThanOrEqual(1);
    await fails(alice.request(`/api/uploads/${idleUpload.uploadId}`), 404, 'NOT_FOUND');
    expect(await h.blobs.stat(`revisions/${idleUpload.revisionId}/0`)).toBeUndefined();
    await ok(putChunk(alice, activeUpload.uploadId, 0, active.chunks[0]!), 204);
  });

  it('enforces the quota at create and at every chunk, naming it', async () => {
    const bob = await h.makeUser(5000);
    const bobRoot = await createRoot(bob);
    const big = await encryptFile(patternBytes(6000));
    const message = await fails(
      bob.request('/api/uploads', json(createUploadRequest(big, bobRoot))),
      413,
      'QUOTA_EXCEEDED',
    );
    expect(message).toMatch(/quota/);
    const first = await encryptFile(patternBytes(3000));
    const second = await encryptFile(patternBytes(1500));
    await startUpload(bob, first, bobRoot);
    // The first upload's reservation counts against the second.
    await fails(bob.request('/api/uploads', json(createUploadRequest(second, bobRoot))), 413, 'QUOTA_EXCEEDED');
  });

  it('counts segments sent again split differently, and refuses those that would pass the quota', async () => {
    const usage = async (user: TestUser) => (await ok<{ usedBytes: number }>(user.request('/api/usage'))).usedBytes;
    const file = await encryptFile(patternBytes(4000));
    const [first, second] = file.chunks as [Uint8Array, Uint8Array];
    const before = await usage(alice);
    const upload = await startUpload(alice, file, root);
    for (const [index, chunk] of file.chunks.entries()) await ok(putChunk(alice, upload.uploadId, index, chunk), 204);
    expect(await usage(alice)).toBe(before + file.ciphertext.length);
    // The same chunks again, as one batch: a second copy of them is stored until the upload completes.
    await ok(putChunks(alice, upload.uploadId, 0, [first, second]), 204);
    expect(await usage(alice)).toBe(before + file.ciphertext.length + first.length + second.length);
    await ok(alice.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expect(await usage(alice)).toBe(before + file.ciphertext.length);

    const carol = await h.makeUser(file.ciphertext.length + first.length);
    const same = await encryptFile(patternBytes(4000));
    const again = await startUpload(carol, same, await createRoot(carol));
    for (const [index, chunk] of same.chunks.entries()) await ok(putChunk(carol, again.uploadId, index, chunk), 204);
    const message = await fails(putChunks(carol, again.uploadId, 0, same.chunks.slice(0, 2)), 413, 'QUOTA_EXCEEDED');
    expect(message).toContain('quota');
    // Sent again under the same split, a chunk replaces its copy and stores nothing more.
    await ok(putChunk(carol, again.uploadId, 0, same.chunks[0]!), 204);
    expect(await usage(carol)).toBe(same.ciphertext.length);
    await ok(carol.request(`/api/uploads/${again.uploadId}/complete`, { method: 'POST' }));
  });

  it("keeps users apart: another user's ids are not found", async () => {
    const mallory = await h.makeUser();
    const file = await encryptFile(patternBytes(1000));
    const done = await uploadFile(alice, file, root);
    const pending = await startUpload(alice, await encryptFile(patternBytes(1000)), root);
    await fails(mallory.request(`/api/revisions/${done.revisionId}/content`), 404, 'NOT_FOUND');
    await fails(mallory.request(`/api/revisions/${done.revisionId}/chunks/0`), 404, 'NOT_FOUND');
    await fails(mallory.request(`/api/nodes/${file.nodeId}`), 404, 'NOT_FOUND');
    await fails(mallory.request(`/api/nodes/${root}/children`), 404, 'NOT_FOUND');
    await fails(mallory.request(`/api/uploads/${pending.uploadId}`), 404, 'NOT_FOUND');
    await fails(putChunk(mallory, pending.uploadId, 0, new Uint8Array(10)), 404, 'NOT_FOUND');
    await fails(mallory.request(`/api/uploads/${pending.uploadId}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
    const intoAlices = await encryptFile(patternBytes(10));
    await fails(mallory.request('/api/uploads', json(createUploadRequest(intoAlices, root))), 404, 'NOT_FOUND');
    const overwrite = await encryptFile(patternBytes(10), { nodeId: file.nodeId, revision: 2 });
    await fails(mallory.request('/api/uploads', json(createUploadRequest(overwrite))), 404, 'NOT_FOUND');
  });

  it("answers a new file with another user's node id, or the id of their unfinished upload, as not found", async () => {
    const mallory = await h.makeUser();
    const malloryRoot = await createRoot(mallory);
    const answer = async (response: Promise<Response>) => {
      const res = await response;
      return { status: res.status, body: (await res.json()) as unknown };
    };
    const done = await encryptFile(patternBytes(1000));
    await uploadFile(alice, done, root);
    const pending = await encryptFile(patternBytes(1000));
    await startUpload(alice, pending, root);
    for (const nodeId of [done.nodeId, pending.nodeId]) {
      const notFound = await answer(mallory.request(`/api/nodes/${nodeId}`));
      expect(notFound).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
      for (const revision of [1, 2]) {
        const squat = await encryptFile(patternBytes(10), { nodeId, revision });
        expect(await answer(mallory.request('/api/uploads', json(createUploadRequest(squat, malloryRoot))))).toEqual(
          notFound,
        );
      }
    }
    const again = await encryptFile(patternBytes(10), { nodeId: done.nodeId });
    await fails(alice.request('/api/uploads', json(createUploadRequest(again, root))), 409, 'NODE_EXISTS');
  });

  it('refuses to complete a new file whose id a folder took meanwhile: 409 for its owner, 404 for anyone else', async () => {
    const mallory = await h.makeUser();
    const malloryRoot = await createRoot(mallory);
    const folderWithId = (id: string) =>
      json({ id, parentId: root, wrappedKey: 'gAAAAA' + 'A'.repeat(200), encryptedMetadata: randomMetadata() });
    for (const [uploader, parent, code, status] of [
      [alice, root, 'NODE_EXISTS', 409],
      [mallory, malloryRoot, 'NOT_FOUND', 404],
    ] as const) {
      const file = await encryptFile(patternBytes(1000));
      const upload = await startUpload(uploader, file, parent);
      for (const [index, chunk] of file.chunks.entries())
        await ok(putChunk(uploader, upload.uploadId, index, chunk), 204);
      await ok(alice.request('/api/nodes/folders', folderWithId(file.nodeId)), 201);
      await fails(uploader.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }), status, code);
    }
  });

  it("numbers a file's revisions from its owner's revisions only", async () => {
    const file = await encryptFile(patternBytes(1000));
    await uploadFile(alice, file, root);
    // A revision of another user under this node id, as an earlier server let a new file's upload take any id.
    const mallory = await h.makeUser();
    await h.db.insert(revisions).values({
      id: crypto.randomUUID(),
      nodeId: file.nodeId,
      ownerId: mallory.id,
      number: 7,
      header: file.header,
      chunkSize: 1024,
      chunkCount: 1,
      size: 1000,
    });
    const second = await encryptFile(patternBytes(1000), { nodeId: file.nodeId, revision: 2 });
    expect((await uploadFile(alice, second)).revision).toBe(2);
  });

  it('requires a live session', async () => {
    await fails(h.app.request('/api/usage'), 401, 'UNAUTHENTICATED');
    await fails(h.app.request('/api/usage', { headers: { cookie: 'coffer_session=forged' } }), 401, 'UNAUTHENTICATED');
  });
});
