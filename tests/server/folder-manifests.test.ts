/**
 * Folder manifests (docs/FORMAT.md section 5.3): the server cannot check a signature, only a manifest's form and that
 * it is the next version of the folder's. It lists the latest with the children, refuses a replayed or skipped version
 * naming both, and forgets a folder's manifest with the folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildrenResponse } from '../../shared/api/responses.ts';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { folderManifests } from '../../server/db/schema.ts';
import { createFolder, createRoot, encryptFile, fails, json, ok, uploadFile } from './client.ts';
import { createHarness, type Harness } from './harness.ts';

const random = (bytes: number) => encodeBase64url(crypto.getRandomValues(new Uint8Array(bytes)));
const manifest = (version: number, ids: string[]) => ({
  version,
  children: ids.map((id) => ({ id, digest: random(32) })),
  signature: random(64),
});
const put = (body: unknown): RequestInit => ({ ...json(body), method: 'PUT' });

describe.each(DATABASE_KINDS)('folder manifests on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it('lists the latest manifest with the children, and takes only the next version', async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const folder = await createFolder(user, root);
    const listing = () => ok<ChildrenResponse>(user.request(`/api/nodes/${folder}/children`));
    expect((await listing()).manifest).toBeNull();

    const first = manifest(1, []);
    await ok(user.request(`/api/nodes/${folder}/manifest`, put(first)));
    const child = await createFolder(user, folder);
    const second = manifest(2, [child]);
    const stored = await ok(user.request(`/api/nodes/${folder}/manifest`, put(second)));
    expect(stored).toEqual({ folderId: folder, manifest: { ...second, writerId: user.id } });
    expect((await listing()).manifest).toEqual({ ...second, writerId: user.id });

    for (const [sent, what] of [
      [1, 'a first version again'],
      [2, 'the same version again'],
      [4, 'a version skipped'],
    ] as const) {
      const message = await fails(
        user.request(`/api/nodes/${folder}/manifest`, put(manifest(sent, []))),
        409,
        'FOLDER_MANIFEST_STALE',
      );
      expect(message, what).toContain(`at version 2, so the next is version 3; got version ${sent}`);
    }
    expect((await listing()).manifest?.version).toBe(2);
  });

  it('refuses a malformed manifest, and one for a file', async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const child = crypto.randomUUID();
    const malformed = [
      { ...manifest(1, []), version: 0 },
      { ...manifest(1, []), version: 2 ** 32 },
      manifest(1, [child, child]),
      { ...manifest(1, []), children: [{ id: child, digest: random(31) }] },
      { ...manifest(1, []), signature: random(63) },
    ];
    for (const body of malformed)
      await fails(user.request(`/api/nodes/${root}/manifest`, put(body)), 400, 'VALIDATION');
    const file = await encryptFile(patternBytes(10));
    await uploadFile(user, file, root);
    await fails(user.request(`/api/nodes/${file.nodeId}/manifest`, put(manifest(1, []))), 409, 'NOT_A_FOLDER');
  });

  it("forgets a folder's manifest when the folder is deleted for good", async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const folder = await createFolder(user, root);
    await ok(user.request(`/api/nodes/${folder}/manifest`, put(manifest(1, []))));
    await ok(user.request(`/api/nodes/${folder}/trash`, { method: 'POST' }));
    await ok(user.request(`/api/nodes/${folder}`, { method: 'DELETE' }));
    expect(await h.db.select().from(folderManifests)).not.toContainEqual(expect.objectContaining({ folderId: folder }));
  });
});
