/**
 * Sharing with other accounts (issue 25): the life of a share, what each role may do through it, that a revocation
 * ends access at once, that an editor's uploads count against the owner's quota and go where the owner's tree is, and
 * that nothing moves out of a shared folder.
 */
import { eq, sql } from 'drizzle-orm';
import { sessions, users } from '../../server/db/schema.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS, queryRows } from '../../tools/harness/test-databases.ts';
import {
  createFolder,
  createRoot,
  createUploadRequest,
  download,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  randomMetadata,
  randomWrappedKey,
  startUpload,
  uploadFile,
} from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { grantFor, makeSharingUser, shareAccepted, type ShareInfo, type SharingUser } from './sharing-accounts.ts';

interface Incoming extends ShareInfo {
  senderId: string;
  senderHandle: string | null;
  ownerId: string;
  grant: { signature: string; role: string };
}

const put = (body: unknown): RequestInit => ({ ...json(body), method: 'PUT' });
const post = { method: 'POST' };

describe.each(DATABASE_KINDS)('shares on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  /** An owner with a folder holding a file, and a second account. */
  async function setUp(ownerQuota?: number) {
    const owner = await makeSharingUser(h, ownerQuota);
    const other = await makeSharingUser(h);
    const root = await createRoot(owner);
    const folder = await createFolder(owner, root);
    const file = await encryptFile(new Uint8Array(3000));
    const { revisionId } = await uploadFile(owner, file, folder);
    return { owner, other, root, folder, file, revisionId };
  }

  it('offers a share, which gives nothing until accepted, lists it with the grant as made, and is accepted', async () => {
    const { owner, other, folder, file } = await setUp();
    await ok(owner.request('/api/account/handle', put({ handle: 'owner-alice' })));
    const grant = await grantFor(owner, other, folder);
    const share = await ok<ShareInfo>(owner.request('/api/shares', json({ grant })), 201);
    expect(share).toMatchObject({ nodeId: folder, role: 'viewer', status: 'pending' });

    const incoming = await ok<{ shares: Incoming[] }>(other.request('/api/shares/incoming'));
    expect(incoming.shares).toEqual([
      expect.objectContaining({
        id: share.id,
        nodeId: folder,
        ownerId: owner.id,
        senderId: owner.id,
        senderHandle: 'owner-alice',
        status: 'pending',
        grant,
      }),
    ]);
    // Pending: nothing of the folder is reachable.
    await fails(other.request(`/api/nodes/${folder}/children`), 404, 'NOT_FOUND');
    await fails(other.request(`/api/nodes/${file.nodeId}`), 404, 'NOT_FOUND');

    await ok(other.request(`/api/shares/${share.id}/accept`, post));
    const children = await ok<{ children: { id: string; authorId: string }[] }>(
      other.request(`/api/nodes/${folder}/children`),
    );
    expect(children.children.map((child) => [child.id, child.authorId])).toEqual([[file.nodeId, owner.id]]);
    // The path starts at the shared folder: nothing above it is the recipient's to see.
    const path = await ok<{ path: { id: string }[] }>(other.request(`/api/nodes/${file.nodeId}/path`));
    expect(path.path.map((node) => node.id)).toEqual([folder, file.nodeId]);

    const listed = await ok<{ shares: { recipientId: string; status: string }[] }>(
      owner.request(`/api/nodes/${file.nodeId}/shares`),
    );
    expect(listed.shares).toEqual([
      expect.objectContaining({ nodeId: folder, recipientId: other.id, status: 'accepted' }),
    ]);
    const events = await queryRows<{ type: string; details: Record<string, unknown> }>(
      h.db,
      sql`select type, details from audit_events where details->>'shareId' = ${share.id} order by id`,
    );
    expect(events.map((event) => event.type)).toEqual(['share-granted', 'share-accepted']);
    expect(JSON.stringify(events)).not.toContain(grant.wrapped);
  });

  it('checks the grant names the caller, its own node, its owner and kind, and another existing account', async () => {
    const { owner, other, folder, file } = await setUp();
    const stranger = await makeSharingUser(h);
    const send = async (grant: unknown, as: SharingUser = owner) => as.request('/api/shares', json({ grant }));
    expect(
      await fails(send(await grantFor(stranger, other, folder, { ownerId: owner.id })), 400, 'GRANT_MISMATCH'),
    ).toContain('sender');
    await fails(send(await grantFor(stranger, other, folder, { ownerId: owner.id }), stranger), 404, 'NOT_FOUND');
    expect(
      await fails(send(await grantFor(owner, other, folder, { ownerId: other.id })), 400, 'GRANT_MISMATCH'),
    ).toContain('owner');
    expect(await fails(send(await grantFor(owner, other, file.nodeId)), 400, 'GRANT_MISMATCH')).toContain('kind');
    await fails(send(await grantFor(owner, owner, folder)), 400, 'SHARE_WITH_SELF');
    const ghost = { ...(await grantFor(owner, other, folder)), recipientId: crypto.randomUUID() };
    await fails(send(ghost), 404, 'NO_SUCH_ACCOUNT');
    const badSignature = { ...(await grantFor(owner, other, folder)), signature: encodeBase64url(new Uint8Array(10)) };
    expect(await fails(send(badSignature), 400, 'VALIDATION')).toContain('64 bytes');
    // A recipient of the folder, even an editor, cannot share it on.
    await shareAccepted(owner, other, folder, { role: 'editor' });
    await fails(send(await grantFor(other, stranger, folder, { ownerId: owner.id }), other), 403, 'FORBIDDEN');
  });

  it('replaces the grant when the owner shares again, changing the role in place', async () => {
    const { owner, other, folder } = await setUp();
    const first = await shareAccepted(owner, other, folder);
    await fails(other.request('/api/nodes/folders', json(folderBody(folder))), 403, 'FORBIDDEN');
    const grant = await grantFor(owner, other, folder, { role: 'editor' });
    const again = await ok<ShareInfo>(owner.request('/api/shares', json({ grant })), 201);
    expect(again).toMatchObject({ id: first.id, role: 'editor', status: 'accepted' });
    const incoming = await ok<{ shares: Incoming[] }>(other.request('/api/shares/incoming'));
    expect(incoming.shares.map((share) => [share.id, share.role, share.grant.signature])).toEqual([
      [first.id, 'editor', grant.signature],
    ]);
    await ok(other.request('/api/nodes/folders', json(folderBody(folder))), 201);
  });

  it('lets a viewer read, download and list, and refuses every change', async () => {
    const { owner, other, folder, file, revisionId } = await setUp();
    await shareAccepted(owner, other, folder);
    const { bytes } = await download(other, revisionId);
    expect(bytes).toEqual(file.ciphertext);
    await ok(other.request(`/api/nodes/${file.nodeId}/revisions`));
    await fails(
      other.request(`/api/nodes/${file.nodeId}`, {
        ...put({}),
        method: 'PATCH',
        body: JSON.stringify({ encryptedMetadata: randomMetadata() }),
      }),
      403,
      'FORBIDDEN',
    );
    await fails(other.request(`/api/nodes/${file.nodeId}/trash`, post), 403, 'FORBIDDEN');
    await fails(
      other.request('/api/uploads', json(createUploadRequest(await encryptFile(new Uint8Array(10)), folder))),
      403,
      'FORBIDDEN',
    );
  });

  it("puts an editor's files and folders in the owner's tree, by the editor, against the owner's quota", async () => {
    const { owner, other, folder } = await setUp();
    await shareAccepted(owner, other, folder, { role: 'editor' });
    const before = await ok<{ usedBytes: number }>(owner.request('/api/usage'));
    const editorBefore = await ok<{ usedBytes: number }>(other.request('/api/usage'));

    const added = await encryptFile(new Uint8Array(5000));
    await uploadFile(other, added, folder);
    const sub = await createFolder(other, folder);
    const small = await encryptFile(new Uint8Array(10));
    const { header, newFile } = createUploadRequest(small, sub);
    const batch = await ok<{ files: { status: number }[] }>(
      other.request(
        '/api/uploads/batch',
        json({ files: [{ nodeId: small.nodeId, newFile, header, chunk: encodeBase64url(small.chunks[0]!) }] }),
      ),
    );
    expect(batch.files.map((answer) => answer.status)).toEqual([201]);

    const after = await ok<{ usedBytes: number }>(owner.request('/api/usage'));
    expect(after.usedBytes - before.usedBytes).toBe(added.ciphertext.length + small.ciphertext.length);
    expect((await ok<{ usedBytes: number }>(other.request('/api/usage'))).usedBytes).toBe(editorBefore.usedBytes);

    // The owner sees them in its folder, made by the editor, and reads the editor's bytes.
    const node = await ok<{ authorId: string; currentRevision: { id: string; authorId: string } }>(
      owner.request(`/api/nodes/${added.nodeId}`),
    );
    expect([node.authorId, node.currentRevision.authorId]).toEqual([other.id, other.id]);
    expect((await download(owner, node.currentRevision.id)).bytes).toEqual(added.ciphertext);
    const subNode = await ok<{ authorId: string; parentId: string }>(owner.request(`/api/nodes/${sub}`));
    expect(subNode).toMatchObject({ authorId: other.id, parentId: folder });
    expect((await ok<{ authorId: string }>(owner.request(`/api/nodes/${small.nodeId}`))).authorId).toBe(other.id);

    // Trashed by the editor: in the owner's trash, not the editor's.
    await ok(other.request(`/api/nodes/${added.nodeId}/trash`, post));
    const trash = await ok<{ trashed: { id: string }[] }>(owner.request('/api/trash'));
    expect(trash.trashed.map((node) => node.id)).toEqual([added.nodeId]);
    expect((await ok<{ trashed: unknown[] }>(other.request('/api/trash'))).trashed).toEqual([]);
    // Deleting for good is the owner's alone.
    await fails(other.request(`/api/nodes/${added.nodeId}`, { method: 'DELETE' }), 403, 'FORBIDDEN');
  });

  it("refuses an editor's upload over the owner's quota, whatever the editor's own", async () => {
    const { owner, other, folder } = await setUp(8000);
    await shareAccepted(owner, other, folder, { role: 'editor' });
    const big = await encryptFile(new Uint8Array(6000));
    expect(
      await fails(other.request('/api/uploads', json(createUploadRequest(big, folder))), 413, 'QUOTA_EXCEEDED'),
    ).toMatch(/of the shared folder's owner's 7\.8 KiB quota/);
    // The same file fits the editor's own quota.
    await ok(other.request('/api/uploads', json(createUploadRequest(big, await createRoot(other)))), 201);
  });

  it('moves only inside the shared folder, and never the shared folder itself', async () => {
    const { owner, other, root, folder, file } = await setUp();
    const inside = await createFolder(owner, folder);
    await shareAccepted(owner, other, folder, { role: 'editor' });
    const move = (nodeId: string, parentId: string) =>
      other.request(
        `/api/nodes/${nodeId}/move`,
        json({ parentId, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() }),
      );
    await ok(move(file.nodeId, inside));
    await fails(move(file.nodeId, root), 404, 'NOT_FOUND');
    await fails(move(inside, root), 404, 'NOT_FOUND');
    await fails(move(folder, inside), 403, 'SHARED_ROOT');
    await fails(other.request(`/api/nodes/${folder}/trash`, post), 403, 'SHARED_ROOT');
    // Nothing left the folder; nothing above it was touched.
    const path = await ok<{ path: { id: string }[] }>(owner.request(`/api/nodes/${file.nodeId}/path`));
    expect(path.path.map((node) => node.id)).toEqual([root, folder, inside, file.nodeId]);
    // Nor can the editor put anything above the shared folder.
    await fails(other.request('/api/nodes/folders', json(folderBody(root))), 404, 'NOT_FOUND');
  });

  it('ends access at once when the owner revokes: reads, writes, an upload under way and its completion', async () => {
    const { owner, other, folder, file, revisionId } = await setUp();
    const share = await shareAccepted(owner, other, folder, { role: 'editor' });
    const pending = await encryptFile(new Uint8Array(3000));
    const upload = await startUpload(other, pending, folder);
    await ok(putChunk(other, upload.uploadId, 0, pending.chunks[0]!), 204);

    await ok(owner.request(`/api/shares/${share.id}`, { method: 'DELETE' }), 204);
    await fails(other.request(`/api/nodes/${folder}/children`), 404, 'NOT_FOUND');
    await fails(other.request(`/api/revisions/${revisionId}/content`), 404, 'NOT_FOUND');
    await fails(other.request(`/api/revisions/${revisionId}/thumbnail`), 404, 'NOT_FOUND');
    await fails(other.request(`/api/nodes/${file.nodeId}/trash`, post), 404, 'NOT_FOUND');
    await fails(putChunk(other, upload.uploadId, 1, pending.chunks[1]!), 404, 'NOT_FOUND');
    await fails(other.request(`/api/uploads/${upload.uploadId}/complete`, post), 404, 'NOT_FOUND');
    expect((await ok<{ shares: unknown[] }>(other.request('/api/shares/incoming'))).shares).toEqual([]);
    expect((await ok<{ shares: unknown[] }>(owner.request(`/api/nodes/${folder}/shares`))).shares).toEqual([]);
    const events = await queryRows<{ type: string }>(
      h.db,
      sql`select type from audit_events where details->>'shareId' = ${share.id} order by id`,
    );
    expect(events.map((event) => event.type)).toEqual(['share-granted', 'share-accepted', 'share-revoked']);
  });

  it("frees the owner's quota of an editor's unfinished upload when the editor's account is deleted", async () => {
    const { owner, other, folder } = await setUp();
    await shareAccepted(owner, other, folder, { role: 'editor' });
    const before = await ok<{ usedBytes: number }>(owner.request('/api/usage'));
    await startUpload(other, await encryptFile(new Uint8Array(4000)), folder);
    expect((await ok<{ usedBytes: number }>(owner.request('/api/usage'))).usedBytes).toBeGreaterThan(before.usedBytes);
    const admin = await h.makeUser();
    await h.db.update(users).set({ role: 'admin' }).where(eq(users.id, admin.id));
    // The admin's passkey check is tested in admin.test.ts; here it stands as done on the admin's session.
    await h.db.update(sessions).set({ steppedUpAt: h.clock.now }).where(eq(sessions.userId, admin.id));
    await ok(admin.request(`/api/admin/users/${other.id}`, { ...json({ confirm: other.id }), method: 'DELETE' }), 204);
    expect(await ok<{ usedBytes: number }>(owner.request('/api/usage'))).toMatchObject({ usedBytes: before.usedBytes });
  });

  it('lets the recipient remove a share from its list, which ends its access and shows the owner it declined', async () => {
    const { owner, other, folder } = await setUp();
    const share = await shareAccepted(owner, other, folder);
    await ok(other.request(`/api/shares/${share.id}`, { method: 'DELETE' }), 204);
    await fails(other.request(`/api/nodes/${folder}`), 404, 'NOT_FOUND');
    expect((await ok<{ shares: unknown[] }>(other.request('/api/shares/incoming'))).shares).toEqual([]);
    const listed = await ok<{ shares: ShareInfo[] }>(owner.request(`/api/nodes/${folder}/shares`));
    expect(listed.shares.map((row) => row.status)).toEqual(['declined']);
    // The owner may offer it again; it waits for an answer.
    await ok(owner.request('/api/shares', json({ grant: await grantFor(owner, other, folder) })), 201);
    const incoming = await ok<{ shares: ShareInfo[] }>(other.request('/api/shares/incoming'));
    expect(incoming.shares.map((row) => row.status)).toEqual(['pending']);
    // Nobody else answers or ends it.
    await fails((await makeSharingUser(h)).request(`/api/shares/${share.id}/accept`, post), 404, 'NOT_FOUND');
    await fails(owner.request(`/api/shares/${share.id}/accept`, post), 404, 'NOT_FOUND');
  });

  it('lists what the owner shared, to whom and how, with the nodes and the folders above them to open', async () => {
    const { owner, other, root, folder, file } = await setUp();
    const third = await makeSharingUser(h);
    await ok(third.request('/api/account/handle', put({ handle: `third-${third.id.slice(0, 8)}` })));
    const folderShare = await shareAccepted(owner, other, folder);
    const fileShare = await ok<ShareInfo>(
      owner.request(
        '/api/shares',
        json({ grant: await grantFor(owner, third, file.nodeId, { kind: 'file', role: 'editor' }) }),
      ),
      201,
    );
    // Another owner's share of its own folder with the same recipient is not this owner's to see.
    const stranger = await makeSharingUser(h);
    await shareAccepted(stranger, other, await createFolder(stranger, await createRoot(stranger)));

    const outgoing = await ok<{
      shares: (ShareInfo & { kind: string; recipientId: string; recipientHandle: string | null })[];
      nodes: { id: string }[];
      ancestors: { id: string }[];
    }>(owner.request('/api/shares/outgoing'));
    // The harness's clock stands still: both shares have the same time, so their order is not checked.
    expect(outgoing.shares).toHaveLength(2);
    expect(outgoing.shares).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: fileShare.id,
          nodeId: file.nodeId,
          kind: 'file',
          role: 'editor',
          status: 'pending',
          recipientId: third.id,
          recipientHandle: `third-${third.id.slice(0, 8)}`,
          acceptedAt: null,
        }),
        expect.objectContaining({
          id: folderShare.id,
          nodeId: folder,
          kind: 'folder',
          role: 'viewer',
          status: 'accepted',
          recipientId: other.id,
          recipientHandle: null,
          acceptedAt: expect.any(String),
        }),
      ]),
    );
    expect(outgoing.nodes.map((node) => node.id).sort()).toEqual([folder, file.nodeId].sort());
    // From the root down: the shared folder is also the folder above the shared file.
    expect(outgoing.ancestors.map((node) => node.id)).toEqual([root, folder]);

    // The recipients made no share; what they received is not theirs to list here.
    for (const recipient of [other, third]) {
      expect(await ok(recipient.request('/api/shares/outgoing'))).toEqual({ shares: [], nodes: [], ancestors: [] });
    }
    // A revoked share is gone from the list at once.
    await ok(owner.request(`/api/shares/${fileShare.id}`, { method: 'DELETE' }), 204);
    const after = await ok<{ shares: ShareInfo[] }>(owner.request('/api/shares/outgoing'));
    expect(after.shares.map((row) => row.id)).toEqual([folderShare.id]);
  });
});

function folderBody(parentId: string) {
  return { id: crypto.randomUUID(), parentId, wrappedKey: randomWrappedKey(), encryptedMetadata: randomMetadata() };
}
