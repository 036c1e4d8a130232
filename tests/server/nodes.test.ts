import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodes, revisionSegments, revisions, uploads } from '../../server/db/schema.ts';
import { collectExpiredTrash, TRASH_RETENTION_DAYS } from '../../server/uploads/collect-stale.ts';
import { revisionPrefix } from '../../server/uploads/segments.ts';
import { patternBytes } from '../vectors/pattern.ts';
import {
  createFolder,
  randomWrappedKey,
  createRoot,
  createUploadRequest,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  randomMetadata,
  startUpload,
  uploadFile,
} from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';

interface NodeJson {
  id: string;
  parentId: string | null;
  kind: 'file' | 'folder';
  wrappedKey: string;
  encryptedMetadata: string;
  currentRevision: { id: string; number: number } | null;
  createdAt: string;
  updatedAt: string;
  trashedAt: string | null;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The server never reads a wrapped key; any token-sized base64url text stands for one. */

const send = (method: string, body: unknown): RequestInit => ({ ...json(body), method });

/** A file with its revisions' sizes, for checking the usage total. */
async function createFile(user: TestUser, parentId: string, revisionCount = 1) {
  const first = await encryptFile(patternBytes(2500));
  const revisionIds = [(await uploadFile(user, first, parentId)).revisionId];
  let size = first.ciphertext.length;
  for (let number = 2; number <= revisionCount; number++) {
    const next = await encryptFile(patternBytes(1000 * number), { nodeId: first.nodeId, revision: number });
    revisionIds.push((await uploadFile(user, next)).revisionId);
    size += next.ciphertext.length;
  }
  return { id: first.nodeId, revisionIds, size };
}

const getNode = (user: TestUser, id: string) => ok<NodeJson>(user.request(`/api/nodes/${id}`));
const trash = (user: TestUser, id: string) => ok<NodeJson>(user.request(`/api/nodes/${id}/trash`, { method: 'POST' }));
const childIds = async (user: TestUser, folderId: string) =>
  (await ok<{ children: NodeJson[] }>(user.request(`/api/nodes/${folderId}/children`))).children.map((n) => n.id);
const usedBytes = async (user: TestUser) => (await ok<{ usedBytes: number }>(user.request('/api/usage'))).usedBytes;

function moveRequest(parentId: string) {
  return send('POST', { parentId, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() });
}

async function blobKeys(h: Harness, revisionIds: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const id of revisionIds) for await (const key of h.blobs.list(revisionPrefix(id))) keys.push(key);
  return keys;
}

describe.each(DATABASE_KINDS)('nodes on %s', (kind) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  /** Each test gets its own account, so that its trash and recent files are its own. */
  async function account() {
    const user = await h.makeUser();
    return { user, root: await createRoot(user) };
  }

  const tick = (ms = 1000) => {
    h.clock.now = new Date(h.clock.now.getTime() + ms);
    return h.clock.now.toISOString();
  };

  it('renames: replaces the metadata and sets updatedAt', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const before = await getNode(user, folder);
    const at = tick();
    const encryptedMetadata = randomMetadata();
    const renamed = await ok<NodeJson>(user.request(`/api/nodes/${folder}`, send('PATCH', { encryptedMetadata })));
    expect(renamed).toEqual({ ...before, encryptedMetadata, updatedAt: at });
    expect(await getNode(user, folder)).toEqual(renamed);
    await fails(user.request(`/api/nodes/${folder}`, send('PATCH', {})), 400, 'VALIDATION');
    await fails(user.request(`/api/nodes/${folder}`, send('PATCH', { encryptedMetadata: '' })), 400, 'VALIDATION');
    await fails(user.request('/api/nodes/nope', send('PATCH', { encryptedMetadata })), 400, 'BAD_ID');
    await fails(
      user.request(`/api/nodes/${crypto.randomUUID()}`, send('PATCH', { encryptedMetadata })),
      404,
      'NOT_FOUND',
    );
  });

  it('moves a file, changing its parent, wrapped key and metadata together', async () => {
    const { user, root } = await account();
    const from = await createFolder(user, root);
    const to = await createFolder(user, root);
    const file = await createFile(user, from);
    const before = await getNode(user, file.id);
    const at = tick();
    const request = { parentId: to, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() };
    const moved = await ok<NodeJson>(user.request(`/api/nodes/${file.id}/move`, send('POST', request)));
    expect(moved).toEqual({ ...before, ...request, updatedAt: at });
    expect(await getNode(user, file.id)).toEqual(moved);
    expect(await childIds(user, from)).toEqual([]);
    expect(await childIds(user, to)).toEqual([file.id]);
  });

  it('refuses moves to a missing place, into a file, into the trash, of the root, and into itself', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const child = await createFolder(user, folder);
    const grandchild = await createFolder(user, child);
    const file = await createFile(user, root);
    const trashed = await createFolder(user, root);
    const insideTrashed = await createFolder(user, trashed);
    await trash(user, trashed);
    const before = await getNode(user, folder);

    await fails(user.request(`/api/nodes/${folder}/move`, moveRequest(crypto.randomUUID())), 404, 'NOT_FOUND');
    await fails(user.request(`/api/nodes/${crypto.randomUUID()}/move`, moveRequest(root)), 404, 'NOT_FOUND');
    await fails(user.request(`/api/nodes/${folder}/move`, moveRequest(file.id)), 409, 'NOT_A_FOLDER');
    expect(await fails(user.request(`/api/nodes/${folder}/move`, moveRequest(trashed)), 409, 'IN_TRASH')).toMatch(
      trashed,
    );
    const message = await fails(user.request(`/api/nodes/${folder}/move`, moveRequest(insideTrashed)), 409, 'IN_TRASH');
    expect(message).toContain(`inside folder ${trashed}`);
    await fails(user.request(`/api/nodes/${root}/move`, moveRequest(folder)), 409, 'IS_ROOT');
    for (const target of [folder, child, grandchild]) {
      await fails(user.request(`/api/nodes/${folder}/move`, moveRequest(target)), 409, 'MOVE_INTO_ITSELF');
    }
    await fails(user.request(`/api/nodes/${folder}/move`, send('POST', { parentId: root })), 400, 'VALIDATION');
    expect(await getNode(user, folder)).toEqual(before);
    expect((await getNode(user, grandchild)).parentId).toBe(child);
  });

  it('gives one answer for a folder that cannot take anything, to a move, a new folder and a new file alike', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const file = await createFile(user, root);
    const trashed = await createFolder(user, root);
    const insideTrashed = await createFolder(user, trashed);
    await trash(user, trashed);
    const answers = [];
    for (const target of [crypto.randomUUID(), file.id, trashed, insideTrashed]) {
      const newFolder = {
        id: crypto.randomUUID(),
        parentId: target,
        wrappedKey: randomWrappedKey(),
        encryptedMetadata: randomMetadata(),
      };
      const newFile = createUploadRequest(await encryptFile(patternBytes(10)), target);
      const codes = [];
      for (const response of [
        await user.request(`/api/nodes/${folder}/move`, moveRequest(target)),
        await user.request('/api/nodes/folders', json(newFolder)),
        await user.request('/api/uploads', json(newFile)),
      ]) {
        codes.push(
          `${response.status} ${((await response.json()) as { error?: { code: string } }).error?.code ?? 'created'}`,
        );
      }
      answers.push(codes);
    }
    expect(answers).toEqual([
      ['404 NOT_FOUND', '404 NOT_FOUND', '404 NOT_FOUND'],
      ['409 NOT_A_FOLDER', '409 NOT_A_FOLDER', '409 NOT_A_FOLDER'],
      ['409 IN_TRASH', '409 IN_TRASH', '409 IN_TRASH'],
      ['409 IN_TRASH', '409 IN_TRASH', '409 IN_TRASH'],
    ]);
    // A folder trashed while a new file uploads into it refuses the completion with the same answer.
    const late = await createFolder(user, root);
    const inside = await createFolder(user, late);
    const lateFile = await encryptFile(patternBytes(10));
    const upload = await startUpload(user, lateFile, inside);
    await ok(putChunk(user, upload.uploadId, 0, lateFile.chunks[0]!), 204);
    await trash(user, late);
    await fails(user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }), 409, 'IN_TRASH');
  });

  it('never makes a cycle from two moves at once', async () => {
    const { user, root } = await account();
    // Many pairs at once, so that on Postgres the two moves of a pair overlap in time.
    const pairs = await Promise.all(
      Array.from({ length: 12 }, async () => [await createFolder(user, root), await createFolder(user, root)] as const),
    );
    const outcomes = await Promise.all(
      pairs.map(async ([a, b]) => {
        const responses = await Promise.all([
          user.request(`/api/nodes/${a}/move`, moveRequest(b)),
          user.request(`/api/nodes/${b}/move`, moveRequest(a)),
        ]);
        const bodies = (await Promise.all(responses.map((res) => res.json()))) as { error?: { code: string } }[];
        return responses.map((res, i) => `${res.status} ${bodies[i]!.error?.code ?? ''}`.trim()).sort();
      }),
    );
    for (const outcome of outcomes) expect(outcome).toEqual(['200', '409 MOVE_INTO_ITSELF']);
    for (const id of pairs.flat()) {
      const path = await ok<{ path: NodeJson[] }>(user.request(`/api/nodes/${id}/path`));
      expect(path.path[0]!.id).toBe(root);
    }
  });

  it('trashes a node once, hiding it and what it holds without marking its contents', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const inside = await createFolder(user, folder);
    const at = tick();
    const trashed = await trash(user, folder);
    expect(trashed.trashedAt).toBe(at);
    expect(trashed.updatedAt).not.toBe(at);
    tick();
    // Trashing again keeps the first date.
    expect((await trash(user, folder)).trashedAt).toBe(at);
    expect(await childIds(user, root)).toEqual([]);
    expect((await getNode(user, inside)).trashedAt).toBeNull();
    expect(await childIds(user, folder)).toEqual([inside]);
    const message = await fails(user.request(`/api/nodes/${root}/trash`, { method: 'POST' }), 409, 'IS_ROOT');
    expect(message).toContain('root');
    await fails(user.request(`/api/nodes/${crypto.randomUUID()}/trash`, { method: 'POST' }), 404, 'NOT_FOUND');
  });

  it('restores a node, unless its folder is in the trash too', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const file = await createFile(user, folder);
    await fails(user.request(`/api/nodes/${file.id}/restore`, { method: 'POST' }), 409, 'NOT_IN_TRASH');
    await trash(user, file.id);
    await trash(user, folder);
    const message = await fails(
      user.request(`/api/nodes/${file.id}/restore`, { method: 'POST' }),
      409,
      'PARENT_IN_TRASH',
    );
    expect(message).toContain(folder);
    expect(message).toMatch(/restore that folder, or move/);
    const restoredFolder = await ok<NodeJson>(user.request(`/api/nodes/${folder}/restore`, { method: 'POST' }));
    expect(restoredFolder.trashedAt).toBeNull();
    const restored = await ok<NodeJson>(user.request(`/api/nodes/${file.id}/restore`, { method: 'POST' }));
    expect(restored.trashedAt).toBeNull();
    expect(await childIds(user, folder)).toEqual([file.id]);
    await fails(user.request(`/api/nodes/${crypto.randomUUID()}/restore`, { method: 'POST' }), 404, 'NOT_FOUND');
  });

  it('restores to another folder by moving a trashed node', async () => {
    const { user, root } = await account();
    const gone = await createFolder(user, root);
    const file = await createFile(user, gone);
    const elsewhere = await createFolder(user, root);
    await trash(user, file.id);
    await trash(user, gone);
    const moved = await ok<NodeJson>(user.request(`/api/nodes/${file.id}/move`, moveRequest(elsewhere)));
    expect(moved).toMatchObject({ parentId: elsewhere, trashedAt: null });
    expect(await childIds(user, elsewhere)).toEqual([file.id]);
  });

  it('lists the trash, last trashed first, with every ancestor from the root down', async () => {
    const { user, root } = await account();
    const a = await createFolder(user, root);
    const b = await createFolder(user, a);
    const c = await createFolder(user, b);
    const fileInC = await createFile(user, c);
    const fileInRoot = await createFile(user, root);
    await createFolder(user, root);
    await trash(user, fileInC.id);
    tick();
    await trash(user, b);
    tick();
    await trash(user, fileInRoot.id);
    const listed = await ok<{ trashed: NodeJson[]; ancestors: NodeJson[] }>(user.request('/api/trash'));
    expect(listed.trashed.map((n) => n.id)).toEqual([fileInRoot.id, b, fileInC.id]);
    expect(listed.trashed[2]!.currentRevision?.id).toBe(fileInC.revisionIds[0]);
    // b is in the trash and an ancestor of fileInC: it is listed in both, whatever its state.
    expect(listed.ancestors.map((n) => n.id)).toEqual([root, a, b, c]);
    expect(listed.ancestors[2]!.trashedAt).not.toBeNull();
    const empty = await account();
    expect(await ok(empty.user.request('/api/trash'))).toEqual({ trashed: [], ancestors: [] });
  });

  it('purges a trashed folder: every node, revision, segment, upload and blob inside it', async () => {
    const { user, root } = await account();
    const kept = await createFile(user, root);
    const usedBefore = await usedBytes(user);
    const folder = await createFolder(user, root);
    const sub = await createFolder(user, folder);
    const fileInFolder = await createFile(user, folder, 2);
    const fileInSub = await createFile(user, sub);
    // An unfinished new revision of a file inside, and a new file still uploading into the subfolder.
    const nextRevision = await encryptFile(patternBytes(3000), { nodeId: fileInSub.id, revision: 2 });
    const revisionUpload = await startUpload(user, nextRevision);
    await ok(putChunk(user, revisionUpload.uploadId, 0, nextRevision.chunks[0]!), 204);
    const newFile = await encryptFile(patternBytes(2000));
    const newFileUpload = await startUpload(user, newFile, sub);
    await ok(putChunk(user, newFileUpload.uploadId, 1, newFile.chunks[1]!), 204);
    const revisionIds = [
      ...fileInFolder.revisionIds,
      ...fileInSub.revisionIds,
      revisionUpload.revisionId,
      newFileUpload.revisionId,
    ];
    expect(await usedBytes(user)).toBe(
      usedBefore + fileInFolder.size + fileInSub.size + nextRevision.ciphertext.length + newFile.ciphertext.length,
    );
    expect((await blobKeys(h, revisionIds)).length).toBeGreaterThanOrEqual(revisionIds.length);

    const message = await fails(user.request(`/api/nodes/${folder}`, { method: 'DELETE' }), 409, 'NOT_IN_TRASH');
    expect(message).toMatch(/trash it/);
    await trash(user, folder);
    expect(await ok(user.request(`/api/nodes/${folder}`, { method: 'DELETE' }))).toEqual({ purged: 4 });

    for (const id of [folder, sub, fileInFolder.id, fileInSub.id]) {
      await fails(user.request(`/api/nodes/${id}`), 404, 'NOT_FOUND');
    }
    expect(await h.db.select().from(revisions).where(inArray(revisions.id, revisionIds))).toEqual([]);
    expect(await h.db.select().from(revisionSegments).where(inArray(revisionSegments.revisionId, revisionIds))).toEqual(
      [],
    );
    expect(await h.db.select().from(uploads).where(inArray(uploads.revisionId, revisionIds))).toEqual([]);
    await fails(user.request(`/api/uploads/${revisionUpload.uploadId}`), 404, 'NOT_FOUND');
    expect(await blobKeys(h, revisionIds)).toEqual([]);
    expect(await usedBytes(user)).toBe(usedBefore);
    expect(await childIds(user, root)).toEqual([kept.id]);
    expect((await getNode(user, kept.id)).currentRevision?.id).toBe(kept.revisionIds[0]);
    expect(await blobKeys(h, kept.revisionIds)).not.toEqual([]);
    await fails(user.request(`/api/nodes/${folder}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });

  it('makes a folder or refuses it cleanly while its parent is trashed and purged at the same time', async () => {
    const { user, root } = await account();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const parent = await createFolder(user, root);
        const [made] = await Promise.all([
          user.request(
            '/api/nodes/folders',
            json({
              id: crypto.randomUUID(),
              parentId: parent,
              wrappedKey: randomWrappedKey(),
              encryptedMetadata: randomMetadata(),
            }),
          ),
          trash(user, parent).then(() => ok(user.request(`/api/nodes/${parent}`, { method: 'DELETE' }))),
        ]);
        const body = (await made.json()) as { error?: { code: string } };
        return `${made.status} ${body.error?.code ?? ''}`.trim();
      }),
    );
    // Made before the trash (and purged with its parent), or refused after it: never a foreign-key failure (500).
    for (const outcome of outcomes) expect(['201', '409 IN_TRASH', '404 NOT_FOUND']).toContain(outcome);
    expect(await childIds(user, root)).toEqual([]);
  });

  it('empties the trash, trashed folders inside trashed folders counted once', async () => {
    const { user, root } = await account();
    const live = await createFile(user, root);
    const outer = await createFolder(user, root);
    const inner = await createFolder(user, outer);
    const file = await createFile(user, inner);
    const loose = await createFile(user, root);
    await trash(user, inner);
    await trash(user, outer);
    await trash(user, loose.id);
    expect(await ok(user.request('/api/trash', { method: 'DELETE' }))).toEqual({ purged: 4 });
    expect(await ok(user.request('/api/trash'))).toEqual({ trashed: [], ancestors: [] });
    expect(
      await h.db
        .select()
        .from(nodes)
        .where(inArray(nodes.id, [outer, inner, file.id, loose.id])),
    ).toEqual([]);
    expect(await blobKeys(h, [...file.revisionIds, ...loose.revisionIds])).toEqual([]);
    expect(await childIds(user, root)).toEqual([live.id]);
    expect(await usedBytes(user)).toBe(live.size);
    expect(await ok(user.request('/api/trash', { method: 'DELETE' }))).toEqual({ purged: 0 });
  });

  it("records deletions for good in the account's security log, newest first", async () => {
    const { user, root } = await account();
    const file = await createFile(user, root);
    await trash(user, file.id);
    await ok(user.request(`/api/nodes/${file.id}`, { method: 'DELETE' }));
    await ok(user.request('/api/trash', { method: 'DELETE' }));
    const { events } = await ok<{ events: { type: string; at: string }[] }>(
      user.request('/api/account/security-events?limit=2'),
    );
    expect(events.map((event) => event.type)).toEqual(['trash-purged', 'trash-purged']);
    expect(Date.parse(events[0]!.at)).toBeGreaterThanOrEqual(Date.parse(events[1]!.at));
    await fails(user.request('/api/account/security-events?limit=0'), 400, 'BAD_LIMIT');
  });

  it('makes an older revision current again', async () => {
    const { user, root } = await account();
    const file = await createFile(user, root, 2);
    const other = await createFile(user, root);
    const folder = await createFolder(user, root);
    const [first, second] = file.revisionIds as [string, string];
    expect((await getNode(user, file.id)).currentRevision?.id).toBe(second);
    const at = tick();
    const encryptedMetadata = randomMetadata();
    const restored = await ok<NodeJson>(
      user.request(`/api/nodes/${file.id}/current-revision`, send('PUT', { revisionId: first, encryptedMetadata })),
    );
    expect(restored).toMatchObject({ encryptedMetadata, updatedAt: at, currentRevision: { id: first, number: 1 } });
    expect(await getNode(user, file.id)).toEqual(restored);
    const revisionsListed = await ok<{ revisions: { id: string }[] }>(user.request(`/api/nodes/${file.id}/revisions`));
    expect(revisionsListed.revisions.map((r) => r.id)).toEqual([first, second]);

    const put = (nodeId: string, revisionId: string) =>
      user.request(`/api/nodes/${nodeId}/current-revision`, send('PUT', { revisionId, encryptedMetadata }));
    await fails(put(file.id, other.revisionIds[0]!), 404, 'NOT_FOUND');
    await fails(put(file.id, crypto.randomUUID()), 404, 'NOT_FOUND');
    const unfinished = await startUpload(user, await encryptFile(patternBytes(100), { nodeId: file.id, revision: 3 }));
    await fails(put(file.id, unfinished.revisionId), 404, 'NOT_FOUND');
    await fails(put(folder, first), 409, 'NOT_A_FILE');
    await fails(put(file.id, 'x'), 400, 'VALIDATION');
    expect((await getNode(user, file.id)).currentRevision?.id).toBe(first);
  });

  it('lists recent live files with their ancestors, and checks the limit', async () => {
    const { user, root } = await account();
    const folder = await createFolder(user, root);
    const sub = await createFolder(user, folder);
    const trashedFolder = await createFolder(user, root);
    tick();
    const old = await createFile(user, root);
    tick();
    const inSub = await createFile(user, sub);
    tick();
    const hidden = await createFile(user, trashedFolder);
    tick();
    const trashedFile = await createFile(user, folder);
    tick();
    const newest = await createFile(user, folder);
    await trash(user, trashedFolder);
    await trash(user, trashedFile.id);
    type Recent = { nodes: NodeJson[]; ancestors: NodeJson[] };
    const recent = await ok<Recent>(user.request('/api/nodes/recent'));
    expect(recent.nodes.map((n) => n.id)).toEqual([newest.id, inSub.id, old.id]);
    expect(recent.nodes[0]!.currentRevision?.id).toBe(newest.revisionIds[0]);
    expect(recent.ancestors.map((n) => n.id)).toEqual([root, folder, sub]);
    expect(recent.nodes.map((n) => n.id)).not.toContain(hidden.id);
    const one = await ok<Recent>(user.request('/api/nodes/recent?limit=1'));
    expect(one.nodes.map((n) => n.id)).toEqual([newest.id]);
    expect(one.ancestors.map((n) => n.id)).toEqual([root, folder]);
    // Renaming counts as an update. (New nodes take the database's clock, a rename the app's: compare the result.)
    await ok(user.request(`/api/nodes/${old.id}`, send('PATCH', { encryptedMetadata: randomMetadata() })));
    const afterRename = (await ok<Recent>(user.request('/api/nodes/recent'))).nodes;
    expect(afterRename.find((n) => n.id === old.id)?.updatedAt).toBe(h.clock.now.toISOString());
    const byUpdate = [...afterRename].sort(
      (a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id),
    );
    expect(afterRename.map((n) => n.id)).toEqual(byUpdate.map((n) => n.id));
    expect(afterRename.map((n) => n.id).sort()).toEqual([newest.id, inSub.id, old.id].sort());
    for (const limit of ['0', '101', 'x', '-1', '1.5', '', '1e2']) {
      const message = await fails(user.request(`/api/nodes/recent?limit=${limit}`), 400, 'BAD_LIMIT');
      expect(message).toContain('from 1 to 100');
    }
    expect(await ok(user.request('/api/nodes/recent?limit=100'))).toMatchObject({ nodes: expect.any(Array) });
    const empty = await account();
    expect(await ok(empty.user.request('/api/nodes/recent'))).toEqual({ nodes: [], ancestors: [] });
  });

  it('gives the path from the root down to a node', async () => {
    const { user, root } = await account();
    const a = await createFolder(user, root);
    const b = await createFolder(user, a);
    const file = await createFile(user, b);
    const path = await ok<{ path: NodeJson[] }>(user.request(`/api/nodes/${file.id}/path`));
    expect(path.path.map((n) => n.id)).toEqual([root, a, b, file.id]);
    expect(path.path[3]).toEqual(await getNode(user, file.id));
    expect((await ok<{ path: NodeJson[] }>(user.request(`/api/nodes/${root}/path`))).path.map((n) => n.id)).toEqual([
      root,
    ]);
    await fails(user.request(`/api/nodes/${crypto.randomUUID()}/path`), 404, 'NOT_FOUND');
    await fails(user.request('/api/nodes/x/path'), 400, 'BAD_ID');
  });

  it("answers a folder made with another user's node id as that id not found, and its owner that it exists", async () => {
    const alice = await account();
    const mallory = await account();
    const taken = await createFolder(alice.user, alice.root);
    const folderRequest = (parentId: string | null) =>
      json({ id: taken, parentId, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() });
    const answer = async (response: Promise<Response>) => {
      const res = await response;
      return { status: res.status, body: (await res.json()) as unknown };
    };
    // The same answer as for reading an id that is not one's own: nothing says a node of someone else has it.
    const notFound = await answer(mallory.user.request(`/api/nodes/${taken}`));
    expect(notFound).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await answer(mallory.user.request('/api/nodes/folders', folderRequest(mallory.root)))).toEqual(notFound);
    const rootless = await h.makeUser();
    expect(await answer(rootless.request('/api/nodes/folders', folderRequest(null)))).toEqual(
      await answer(rootless.request(`/api/nodes/${taken}`)),
    );
    await createRoot(rootless);
    await fails(alice.user.request('/api/nodes/folders', folderRequest(alice.root)), 409, 'NODE_EXISTS');
    await fails(alice.user.request('/api/nodes/folders', folderRequest(null)), 409, 'ROOT_EXISTS');
    expect((await getNode(alice.user, taken)).parentId).toBe(alice.root);
  });

  it("keeps users apart: every route answers 404 for another user's ids and changes nothing", async () => {
    const alice = await account();
    const mallory = await account();
    const folder = await createFolder(alice.user, alice.root);
    const file = await createFile(alice.user, folder, 2);
    const trashed = await createFolder(alice.user, alice.root);
    await trash(alice.user, trashed);
    const snapshot = await Promise.all([folder, file.id, trashed].map((id) => getNode(alice.user, id)));
    const m = mallory.user;
    const mine = await createFolder(m, mallory.root);
    const encryptedMetadata = randomMetadata();
    const refused: [string, Promise<Response>][] = [
      ['get', m.request(`/api/nodes/${file.id}`)],
      ['path', m.request(`/api/nodes/${file.id}/path`)],
      ['children', m.request(`/api/nodes/${folder}/children`)],
      ['revisions', m.request(`/api/nodes/${file.id}/revisions`)],
      ['rename', m.request(`/api/nodes/${file.id}`, send('PATCH', { encryptedMetadata }))],
      ['move theirs', m.request(`/api/nodes/${file.id}/move`, moveRequest(mallory.root))],
      ['move into theirs', m.request(`/api/nodes/${mine}/move`, moveRequest(folder))],
      ['trash', m.request(`/api/nodes/${folder}/trash`, { method: 'POST' })],
      ['restore', m.request(`/api/nodes/${trashed}/restore`, { method: 'POST' })],
      ['purge', m.request(`/api/nodes/${trashed}`, { method: 'DELETE' })],
      [
        'current revision',
        m.request(
          `/api/nodes/${file.id}/current-revision`,
          send('PUT', { revisionId: file.revisionIds[0], encryptedMetadata }),
        ),
      ],
    ];
    for (const [name, response] of refused) {
      const res = await response;
      expect({ name, status: res.status, body: await res.json() }).toMatchObject({
        name,
        status: 404,
        body: { error: { code: 'NOT_FOUND' } },
      });
    }
    // Mallory's own file cannot take Alice's revision either.
    const own = await createFile(m, mallory.root);
    await fails(
      m.request(
        `/api/nodes/${own.id}/current-revision`,
        send('PUT', { revisionId: file.revisionIds[0], encryptedMetadata }),
      ),
      404,
      'NOT_FOUND',
    );
    expect(await ok(m.request('/api/trash'))).toEqual({ trashed: [], ancestors: [] });
    expect(await ok(m.request('/api/trash', { method: 'DELETE' }))).toEqual({ purged: 0 });
    const recent = await ok<{ nodes: NodeJson[]; ancestors: NodeJson[] }>(m.request('/api/nodes/recent'));
    expect(recent.nodes.map((n) => n.id)).toEqual([own.id]);
    expect(recent.ancestors.map((n) => n.id)).toEqual([mallory.root]);
    expect((await getNode(m, mine)).parentId).toBe(mallory.root);
    expect(await Promise.all([folder, file.id, trashed].map((id) => getNode(alice.user, id)))).toEqual(snapshot);
    const [aliceTrash] = await h.db.select().from(nodes).where(eq(nodes.id, trashed));
    expect(aliceTrash?.trashedAt).not.toBeNull();
  });
});

describe.each(DATABASE_KINDS)('trash retention on %s', (kind) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  it(`purges what was trashed more than ${TRASH_RETENTION_DAYS} days ago, and only that`, async () => {
    const user = await h.makeUser();
    const root = await createRoot(user);
    const oldFolder = await createFolder(user, root);
    const oldFile = await createFile(user, oldFolder);
    const live = await createFile(user, root);
    await trash(user, oldFolder);
    const trashedAt = h.clock.now.getTime();
    h.clock.now = new Date(trashedAt + 60 * 60 * 1000);
    const recent = await createFile(user, root);
    await trash(user, recent.id);
    const collect = (at: number) => collectExpiredTrash({ db: h.db, blobs: h.blobs, now: () => new Date(at) });

    // Exactly at the end of the retention period, nothing is old enough yet.
    expect(await collect(trashedAt + TRASH_RETENTION_DAYS * DAY_MS)).toBe(0);
    expect(await collect(trashedAt + TRASH_RETENTION_DAYS * DAY_MS + 1)).toBe(2);
    for (const id of [oldFolder, oldFile.id]) await fails(user.request(`/api/nodes/${id}`), 404, 'NOT_FOUND');
    expect(await blobKeys(h, oldFile.revisionIds)).toEqual([]);
    const listed = await ok<{ trashed: NodeJson[] }>(user.request('/api/trash'));
    expect(listed.trashed.map((n) => n.id)).toEqual([recent.id]);
    expect(await blobKeys(h, recent.revisionIds)).not.toEqual([]);
    expect((await getNode(user, live.id)).trashedAt).toBeNull();
    expect(await usedBytes(user)).toBe(live.size + recent.size);
  });
});
