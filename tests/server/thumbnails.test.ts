import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptThumbnail, generateKey, MAX_THUMBNAIL_BYTES } from '../../shared/crypto/index.ts';
import { revisionPrefix } from '../../server/uploads/segments.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { createRoot, encryptFile, fails, json, ok, uploadFile } from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

const put = (body: Uint8Array): RequestInit => ({ method: 'PUT', body: body as Uint8Array<ArrayBuffer> });

describe.each(DATABASE_KINDS)('thumbnails on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  async function uploaded(user: TestUser) {
    const root = await createRoot(user);
    const file = await encryptFile(patternBytes(3000));
    const { revisionId } = await uploadFile(user, file, root);
    return { root, file, revisionId };
  }

  it('stores a thumbnail once per revision, lists it, and serves it cacheable for good', async () => {
    const user = await h.makeUser();
    const { file, revisionId } = await uploaded(user);
    const thumbnail = await encryptThumbnail(file.fileKey, file.nodeId, 1, patternBytes(500));
    const revision = await ok<{ thumbnail: boolean }>(
      user.request(`/api/revisions/${revisionId}/thumbnail`, put(thumbnail)),
    );
    expect(revision.thumbnail).toBe(true);
    expect(
      (await ok<{ currentRevision: { thumbnail: boolean } }>(user.request(`/api/nodes/${file.nodeId}`))).currentRevision
        .thumbnail,
    ).toBe(true);

    const response = await user.request(`/api/revisions/${revisionId}/thumbnail`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(thumbnail);
    const etag = response.headers.get('etag')!;
    expect(
      (await user.request(`/api/revisions/${revisionId}/thumbnail`, { headers: { 'if-none-match': etag } })).status,
    ).toBe(304);

    await fails(user.request(`/api/revisions/${revisionId}/thumbnail`, put(thumbnail)), 409, 'THUMBNAIL_EXISTS');
  });

  it('refuses a body too small to be a token or over the limit, and answers 404 without one', async () => {
    const user = await h.makeUser();
    const { revisionId } = await uploaded(user);
    await fails(user.request(`/api/revisions/${revisionId}/thumbnail`), 404, 'NO_THUMBNAIL');
    await fails(user.request(`/api/revisions/${revisionId}/thumbnail`, put(new Uint8Array(10))), 400, 'BAD_THUMBNAIL');
    const message = await fails(
      user.request(`/api/revisions/${revisionId}/thumbnail`, put(new Uint8Array(MAX_THUMBNAIL_BYTES + 1))),
      413,
      'BODY_TOO_LARGE',
    );
    expect(message).toContain(String(MAX_THUMBNAIL_BYTES));
  });

  it('counts thumbnails in the usage, and refuses one that would pass the quota, naming it', async () => {
    const usage = async (user: TestUser) => (await ok<{ usedBytes: number }>(user.request('/api/usage'))).usedBytes;
    const file = await encryptFile(patternBytes(3000));
    const thumbnail = await encryptThumbnail(file.fileKey, file.nodeId, 1, patternBytes(500));

    const roomy = await h.makeUser(file.ciphertext.length + thumbnail.length);
    const { revisionId } = await uploadFile(roomy, file, await createRoot(roomy));
    await ok(roomy.request(`/api/revisions/${revisionId}/thumbnail`, put(thumbnail)));
    expect(await usage(roomy)).toBe(file.ciphertext.length + thumbnail.length);

    const tight = await h.makeUser(file.ciphertext.length + thumbnail.length - 1);
    const same = await encryptFile(patternBytes(3000));
    const tightUpload = await uploadFile(tight, same, await createRoot(tight));
    const sameThumbnail = await encryptThumbnail(same.fileKey, same.nodeId, 1, patternBytes(500));
    const message = await fails(
      tight.request(`/api/revisions/${tightUpload.revisionId}/thumbnail`, put(sameThumbnail)),
      413,
      'QUOTA_EXCEEDED',
    );
    expect(message).toContain('quota');
    await fails(tight.request(`/api/revisions/${tightUpload.revisionId}/thumbnail`), 404, 'NO_THUMBNAIL');
    expect(await usage(tight)).toBe(same.ciphertext.length);
    const left: string[] = [];
    for await (const key of h.blobs.list(revisionPrefix(tightUpload.revisionId))) left.push(key);
    expect(left.filter((key) => key.endsWith('thumbnail'))).toEqual([]);
  });

  it('keeps users apart, and goes with the revision when the file is purged', async () => {
    const owner = await h.makeUser();
    const other = await h.makeUser();
    const { file, revisionId } = await uploaded(owner);
    const thumbnail = await encryptThumbnail(generateKey(), file.nodeId, 1, patternBytes(100));
    await fails(other.request(`/api/revisions/${revisionId}/thumbnail`, put(thumbnail)), 404, 'NOT_FOUND');
    await ok(owner.request(`/api/revisions/${revisionId}/thumbnail`, put(thumbnail)));
    await fails(other.request(`/api/revisions/${revisionId}/thumbnail`), 404, 'NOT_FOUND');

    await ok(owner.request(`/api/nodes/${file.nodeId}/trash`, json({})));
    await ok(owner.request(`/api/nodes/${file.nodeId}`, { method: 'DELETE' }));
    const left: string[] = [];
    for await (const key of h.blobs.list(revisionPrefix(revisionId))) left.push(key);
    expect(left).toEqual([]);
  });
});
