import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_BATCH } from '../../shared/api/schemas.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { expectBytes } from '../crypto/assertions.ts';
import { patternBytes } from '../vectors/pattern.ts';
import {
  createFolder,
  createRoot,
  download,
  encryptFile,
  type EncryptedFile,
  fails,
  json,
  ok,
  randomMetadata,
  startUpload,
  uploadFile,
  type UploadInfo,
} from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

type Answer =
  | { nodeId: string; status: 201; revisionId: string; revision: number }
  | { nodeId: string; status: number; error: { code: string; message: string } };

const wrappedKey = () => 'gAAAAA' + 'A'.repeat(200);

/** One file of a batch: new in `parentId`, or a new revision of the file with the same id when there is none. */
function smallFile(file: EncryptedFile, parentId?: string) {
  expect(file.chunks).toHaveLength(1);
  return {
    nodeId: file.nodeId,
    ...(parentId ? { newFile: { parentId, wrappedKey: wrappedKey(), encryptedMetadata: randomMetadata() } } : {}),
    header: encodeBase64url(file.header),
    chunk: encodeBase64url(file.chunks[0]!),
  };
}

const sendBatch = (user: TestUser, files: unknown[]) => user.request('/api/uploads/batch', json({ files }));
const batch = async (user: TestUser, files: unknown[]) => (await ok<{ files: Answer[] }>(sendBatch(user, files))).files;
const usage = async (user: TestUser) => (await ok<{ usedBytes: number }>(user.request('/api/usage'))).usedBytes;
const openUploads = async (user: TestUser) =>
  (await ok<{ uploads: { nodeId: string }[] }>(user.request('/api/uploads'))).uploads.map((upload) => upload.nodeId);
const childIds = async (user: TestUser, folderId: string) =>
  (await ok<{ children: { id: string }[] }>(user.request(`/api/nodes/${folderId}/children`))).children.map(
    (child) => child.id,
  );

describe.each(DATABASE_KINDS)('batches of small files on %s', (kind) => {
  let h: Harness;
  let alice: TestUser;
  let root: string;

  beforeAll(async () => {
    h = await createHarness(kind);
    alice = await h.makeUser();
    root = await createRoot(alice);
  });
  afterAll(() => h.close());

  it('creates, fills and completes each file in one request, new files and new revisions alike', async () => {
    const existing = await encryptFile(patternBytes(700));
    await uploadFile(alice, existing, root);
    const files = [await encryptFile(patternBytes(1)), await encryptFile(patternBytes(1000))];
    const next = await encryptFile(patternBytes(900), { nodeId: existing.nodeId, revision: 2 });
    const before = await usage(alice);
    const answers = await batch(alice, [smallFile(files[0]!, root), smallFile(files[1]!, root), smallFile(next)]);
    expect(answers.map((answer) => [answer.nodeId, answer.status])).toEqual([
      [files[0]!.nodeId, 201],
      [files[1]!.nodeId, 201],
      [next.nodeId, 201],
    ]);
    expect(answers.map((answer) => 'revision' in answer && answer.revision)).toEqual([1, 1, 2]);
    for (const [i, file] of [...files, next].entries()) {
      const answer = answers[i]!;
      if (!('revisionId' in answer)) throw new Error(`file ${i} failed`);
      expectBytes((await download(alice, answer.revisionId)).bytes, file.ciphertext);
    }
    const node = await ok<{ currentRevision: { id: string } }>(alice.request(`/api/nodes/${existing.nodeId}`));
    expect(node.currentRevision.id).toBe((answers[2] as { revisionId: string }).revisionId);
    expect(await childIds(alice, root)).toEqual(expect.arrayContaining(files.map((file) => file.nodeId)));
    expect(await usage(alice)).toBe(before + [...files, next].reduce((sum, file) => sum + file.ciphertext.length, 0));
    expect(await openUploads(alice)).toEqual([]);
  });

  it('answers each file on its own: one refused file leaves the others stored and itself no trace', async () => {
    const mallory = await h.makeUser();
    const malloryRoot = await createRoot(mallory);
    const trashed = await createFolder(alice, root);
    await ok(alice.request(`/api/nodes/${trashed}/trash`, { method: 'POST' }));
    const good = [await encryptFile(patternBytes(10)), await encryptFile(patternBytes(20))];
    const otherId = await encryptFile(patternBytes(10));
    const namesOther = { ...smallFile(otherId, root), nodeId: crypto.randomUUID() };
    const inTrash = await encryptFile(patternBytes(10));
    const intoMallorys = await encryptFile(patternBytes(10));
    const twice = await encryptFile(patternBytes(10));
    const wrongRevision = await encryptFile(patternBytes(10), { revision: 2 });
    const folderAsFile = await encryptFile(patternBytes(10), { nodeId: trashed, revision: 1 });
    const before = await usage(alice);
    const answers = await batch(alice, [
      namesOther,
      smallFile(good[0]!, root),
      smallFile(inTrash, trashed),
      smallFile(intoMallorys, malloryRoot),
      smallFile(twice, root),
      smallFile(twice, root),
      smallFile(wrongRevision, root),
      smallFile(folderAsFile),
      smallFile(good[1]!, root),
    ]);
    const codes = answers.map((answer) => ('error' in answer ? [answer.status, answer.error.code] : [answer.status]));
    expect(codes).toEqual([
      [400, 'HEADER_MISMATCH'],
      [201],
      [409, 'IN_TRASH'],
      [404, 'NOT_FOUND'],
      [201],
      [400, 'DUPLICATE_FILE'],
      [409, 'REVISION_CONFLICT'],
      [409, 'NOT_A_FILE'],
      [201],
    ]);
    expect((answers[0] as { error: { message: string } }).error.message).toContain(otherId.nodeId);
    const children = await childIds(alice, root);
    for (const file of [...good, twice]) expect(children).toContain(file.nodeId);
    for (const file of [otherId, inTrash, intoMallorys, wrongRevision]) expect(children).not.toContain(file.nodeId);
    expect(await childIds(mallory, malloryRoot)).toEqual([]);
    expect(await openUploads(alice)).toEqual([]);
    expect(await usage(alice)).toBe(before + [...good, twice].reduce((sum, file) => sum + file.ciphertext.length, 0));
  });

  it("refuses another user's ids as not found: a new revision of their file, or their file's id for a new file", async () => {
    const mallory = await h.makeUser();
    const malloryRoot = await createRoot(mallory);
    const alices = await encryptFile(patternBytes(100));
    const done = await uploadFile(alice, alices, root);
    const pending = await encryptFile(patternBytes(100));
    await startUpload(alice, pending, root);
    const overwrite = await encryptFile(patternBytes(10), { nodeId: alices.nodeId, revision: 2 });
    const squat = await encryptFile(patternBytes(10), { nodeId: alices.nodeId });
    const squatPending = await encryptFile(patternBytes(10), { nodeId: pending.nodeId });
    const answers = [
      ...(await batch(mallory, [smallFile(overwrite), smallFile(squatPending, malloryRoot)])),
      ...(await batch(mallory, [smallFile(squat, malloryRoot)])),
    ];
    for (const answer of answers) expect(answer).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
    expectBytes((await download(alice, done.revisionId)).bytes, alices.ciphertext);
    // Its owner is told the id is taken.
    const again = await encryptFile(patternBytes(10), { nodeId: alices.nodeId });
    expect(await batch(alice, [smallFile(again, root)])).toMatchObject([
      { status: 409, error: { code: 'NODE_EXISTS' } },
    ]);
  });

  it('holds the quota across the files of a batch, refusing those that would pass it, naming it', async () => {
    const first = await encryptFile(patternBytes(1000));
    const second = await encryptFile(patternBytes(1000));
    const third = await encryptFile(patternBytes(10));
    const bob = await h.makeUser(first.ciphertext.length + third.ciphertext.length + 100);
    const bobRoot = await createRoot(bob);
    const answers = await batch(bob, [
      smallFile(first, bobRoot),
      smallFile(second, bobRoot),
      smallFile(third, bobRoot),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([201, 413, 201]);
    expect((answers[1] as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      message: expect.stringContaining('quota') as string,
    });
    expect(await usage(bob)).toBe(first.ciphertext.length + third.ciphertext.length);
  });

  it('refuses a chunk of the wrong size or a bad header for that file alone', async () => {
    const file = await encryptFile(patternBytes(100));
    const shortened = { ...smallFile(file, root), chunk: encodeBase64url(file.chunks[0]!.subarray(0, 90)) };
    const other = await encryptFile(patternBytes(100));
    const badHeader = { ...smallFile(other, root), header: encodeBase64url(new Uint8Array(80)) };
    const good = await encryptFile(patternBytes(100));
    const answers = await batch(alice, [shortened, badHeader, smallFile(good, root)]);
    expect(answers.map((answer) => ('error' in answer ? answer.error.code : answer.status))).toEqual([
      'SIZE_MISMATCH',
      'BAD_HEADER',
      201,
    ]);
  });

  it('names its limits: files per batch, bytes per batch, and the shape of each file', async () => {
    const file = smallFile(await encryptFile(patternBytes(10)), root);
    const tooMany = Array.from({ length: UPLOAD_BATCH.maxFiles + 1 }, () => file);
    expect(await fails(sendBatch(alice, tooMany), 400, 'VALIDATION')).toContain(`at most ${UPLOAD_BATCH.maxFiles}`);
    expect(await fails(sendBatch(alice, []), 400, 'VALIDATION')).toContain('at least one');
    const huge = { ...file, chunk: 'A'.repeat(UPLOAD_BATCH.maxBodyBytes) };
    expect(await fails(sendBatch(alice, [huge]), 413, 'BODY_TOO_LARGE')).toContain(`${UPLOAD_BATCH.maxBodyBytes}`);
    expect(await fails(sendBatch(alice, [{ ...file, size: 10 }]), 400, 'VALIDATION')).toContain('files.0');
    const both = { ...file, encryptedMetadata: randomMetadata() };
    expect(await batch(alice, [both])).toMatchObject([{ status: 400, error: { code: 'VALIDATION' } }]);
  });

  it('leaves a file sent the three-step way alone', async () => {
    const file = await encryptFile(patternBytes(10));
    const upload = await startUpload(alice, file, root);
    expect(await batch(alice, [smallFile(file, root)])).toMatchObject([
      { status: 409, error: { code: 'REVISION_CONFLICT' } },
    ]);
    expect((await ok<UploadInfo>(alice.request(`/api/uploads/${upload.uploadId}`))).completedAt).toBeNull();
  });
});
