/**
 * Author signatures (docs/FORMAT.md section 5.2): the server cannot check them, only their form. It stores each with
 * the metadata it came with, moves a new file's from its upload to its node, lists it, and forgets it when metadata
 * comes unsigned, so that a signature never stays beside metadata it did not sign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { patternBytes } from '../vectors/pattern.ts';
import {
  createRoot,
  createUploadRequest,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  randomMetadata,
  randomWrappedKey,
} from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';

interface Listed {
  id: string;
  authorId: string | null;
  authorSignature: { action: string; signature: string } | null;
}

const signature = (action: string, bytes = 64) => ({
  action,
  signature: encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes))),
});
const send = (method: string, body: unknown): RequestInit => ({ ...json(body), method });

describe.each(DATABASE_KINDS)('author signatures on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  const folderRequest = (parentId: string, authorSignature?: unknown) => ({
    id: crypto.randomUUID(),
    parentId,
    wrappedKey: randomWrappedKey(),
    encryptedMetadata: randomMetadata(),
    ...(authorSignature === undefined ? {} : { authorSignature }),
  });
  const listed = async (user: TestUser, folderId: string, id: string) =>
    (await ok<{ children: Listed[] }>(user.request(`/api/nodes/${folderId}/children`))).children.find(
      (node) => node.id === id,
    );

  it("keeps a folder's signature with its metadata, lists it, and forgets it when metadata comes unsigned", async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const made = signature('create');
    const request = folderRequest(root, made);
    await ok(user.request('/api/nodes/folders', json(request)), 201);
    expect(await listed(user, root, request.id)).toMatchObject({ authorId: user.id, authorSignature: made });

    const renamed = signature('rename');
    const body = { encryptedMetadata: randomMetadata(), authorSignature: renamed };
    await ok(user.request(`/api/nodes/${request.id}`, send('PATCH', body)));
    expect(await listed(user, root, request.id)).toMatchObject({ authorSignature: renamed });

    await ok(user.request(`/api/nodes/${request.id}`, send('PATCH', { encryptedMetadata: randomMetadata() })));
    expect(await listed(user, root, request.id)).toMatchObject({ authorId: user.id, authorSignature: null });
  });

  it("gives a new file its upload's signature, and a new revision's metadata the revision's", async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const file = await encryptFile(patternBytes(300));
    const base = createUploadRequest(file, root);
    const made = signature('create');
    const upload = await ok<{ uploadId: string; newFile: { authorSignature: unknown } }>(
      user.request('/api/uploads', json({ ...base, newFile: { ...base.newFile!, authorSignature: made } })),
      201,
    );
    expect(upload.newFile.authorSignature).toEqual(made);
    await Promise.all(file.chunks.map((chunk, index) => ok(putChunk(user, upload.uploadId, index, chunk), 204)));
    await ok(user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }));
    expect(await listed(user, root, file.nodeId)).toMatchObject({ authorId: user.id, authorSignature: made });

    const next = await encryptFile(patternBytes(400), { nodeId: file.nodeId, revision: 2 });
    const second = await ok<{ uploadId: string }>(user.request('/api/uploads', json(createUploadRequest(next))), 201);
    await Promise.all(next.chunks.map((chunk, index) => ok(putChunk(user, second.uploadId, index, chunk), 204)));
    const revised = signature('revise');
    await ok(
      user.request(
        `/api/uploads/${second.uploadId}/complete`,
        json({ encryptedMetadata: randomMetadata(), authorSignature: revised }),
      ),
    );
    expect(await listed(user, root, file.nodeId)).toMatchObject({ authorSignature: revised });
  });

  it('refuses a malformed signature, or one stating another action than the request, with 400', async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const refusals: [string, unknown, RegExp][] = [
      ['short', signature('create', 63), /64 bytes/],
      ['not base64url', { action: 'create', signature: '!'.repeat(86) }, /base64url/],
      ['another action', signature('rename'), /"create"/],
      ['an unknown action', signature('delete'), /"create"/],
      ['an extra field', { ...signature('create'), authorId: user.id }, /authorId/],
      ['not an object', 'signed', /object/],
    ];
    for (const [what, authorSignature, message] of refusals) {
      const error = await fails(
        user.request('/api/nodes/folders', json(folderRequest(root, authorSignature))),
        400,
        'VALIDATION',
      );
      expect(error, what).toMatch(message);
    }
    const folder = folderRequest(root);
    await ok(user.request('/api/nodes/folders', json(folder)), 201);
    const move = { parentId: root, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() };
    await fails(
      user.request(`/api/nodes/${folder.id}/move`, send('POST', { ...move, authorSignature: signature('rename') })),
      400,
      'VALIDATION',
    );
  });
});
