/**
 * File-request links (issue 24, points 5 and 6): the owner makes one for a folder with signed terms; a stranger with
 * no account reads the owner's keys and terms, and uploads files sealed to the owner, within the link's limits and
 * the owner's quota; the files wait outside the folder until the owner accepts them (then they are files of the
 * folder, marked as from the link, and read back identical) or declines them (then they are gone, blobs and all);
 * expiry, revocation, the limits and a disabled owner each end the link with their own answer; the rate limits; and
 * the owner's security log.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, requestLinks, requestUploads, revisions, users } from '../../server/db/schema.ts';
import type {
  ChildrenResponse,
  NodeRecord,
  OpenRequestLinkResponse,
  PendingUploadsResponse,
  RequestLinkRecord,
  RequestLinksResponse,
} from '../../shared/api/responses.ts';
import {
  checkKeyFingerprint,
  decodeBase64url,
  decryptBytes,
  decryptMetadata,
  generateNodeKey,
  uuidToBytes,
  verifyRequestTerms,
} from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { createFolder, createRoot, download, encryptFile, fails, json, ok } from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { makeLink } from './link-client.ts';
import {
  acceptBody,
  anonymous,
  beginRequestUpload,
  makeRequestLink,
  ownerFingerprint,
  putRequestChunk,
  requestLinkBody,
  requestUploadBody,
  strangerUploads,
} from './request-client.ts';
import { makeSharingUser, shareAccepted, sharingUserWithFolder } from './sharing-accounts.ts';

describe.each(DATABASE_KINDS)('file-request links on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  const setUp = () => sharingUserWithFolder(h);

  it('takes two files from a stranger, keeps them out of the folder until the owner accepts them, and gives them back identical', async () => {
    const { owner, folder } = await setUp();
    const link = await makeRequestLink(owner, folder, { message: 'Scans for the tax return, please' });
    expect(link).toMatchObject({ nodeId: folder, status: 'active', fileCount: 0, maxFiles: 10 });

    const opened = await ok<OpenRequestLinkResponse>(anonymous(h, `/api/r/${link.id}`));
    const keys = {
      sharing: decodeBase64url(opened.ownerPublicKeys.sharing),
      signing: decodeBase64url(opened.ownerPublicKeys.signing),
    };
    await checkKeyFingerprint([keys.sharing, keys.signing], await ownerFingerprint(owner));
    await verifyRequestTerms(keys.signing, opened.messageSignature, {
      requestLinkId: link.id,
      ownerId: opened.ownerId,
      folderId: opened.folderId,
      message: opened.message,
    });
    expect(opened).toMatchObject({
      ownerId: owner.id,
      folderId: folder,
      filesLeft: 10,
      message: 'Scans for the tax return, please',
    });

    const first = await strangerUploads(h, owner, link.id, folder);
    const second = await strangerUploads(h, owner, link.id, folder, new Uint8Array(5000).fill(9));
    // Waiting: not in the folder, not reachable as a node or a revision.
    const before = await ok<ChildrenResponse>(owner.request(`/api/nodes/${folder}/children`));
    expect(before.children).toEqual([]);
    await fails(owner.request(`/api/nodes/${first.file.nodeId}`), 404, 'NOT_FOUND');

    const pending = await ok<PendingUploadsResponse>(owner.request('/api/request-links/uploads'));
    expect(pending.uploads.map((upload) => upload.nodeId).sort()).toEqual(
      [first.file.nodeId, second.file.nodeId].sort(),
    );
    const pendingOf = (nodeId: string) => pending.uploads.find((upload) => upload.nodeId === nodeId)!;
    const folderKey = generateNodeKey();
    for (const [upload, sent] of [
      [pendingOf(first.file.nodeId), first],
      [pendingOf(second.file.nodeId), second],
    ] as const) {
      const { fileKey, body } = await acceptBody(owner, upload, folderKey);
      const place = { ownerId: owner.id, nodeId: upload.nodeId, parentId: folder, kind: 'file' as const };
      const metadata = await decryptMetadata(fileKey, place, decodeBase64url(upload.encryptedMetadata));
      expect(metadata.name).toBe('scan.pdf');
      const node = await ok<NodeRecord>(owner.request(`/api/request-links/uploads/${upload.id}/accept`, json(body)));
      expect(node).toMatchObject({ id: sent.file.nodeId, parentId: folder, requestLinkId: link.id, authorId: null });
      const { bytes } = await download(owner, node.currentRevision!.id);
      const plaintext = await decryptBytes(bytes, { fileKey, expected: { fileId: uuidToBytes(node.id), revision: 1 } });
      expect(plaintext).toEqual(sent.file.plaintext);
    }
    const after = await ok<ChildrenResponse>(owner.request(`/api/nodes/${folder}/children`));
    expect(after.children.map((child) => child.id).sort()).toEqual([first.file.nodeId, second.file.nodeId].sort());
    expect((await ok<PendingUploadsResponse>(owner.request('/api/request-links/uploads'))).uploads).toEqual([]);

    const listed = await ok<RequestLinksResponse>(owner.request('/api/request-links'));
    expect(listed.requestLinks[0]).toMatchObject({ id: link.id, fileCount: 2 });
    const events = await h.db.select().from(auditEvents).where(eq(auditEvents.userId, owner.id));
    expect(events.map((event) => event.type).filter((type) => type.startsWith('request-'))).toEqual([
      'request-link-created',
      'request-link-upload',
      'request-link-upload',
      'request-upload-accepted',
      'request-upload-accepted',
    ]);
  });

  it('deletes a declined file, blobs and all, and frees its quota', async () => {
    const { owner, folder } = await setUp();
    const link = await makeRequestLink(owner, folder);
    const { upload } = await strangerUploads(h, owner, link.id, folder);
    const [row] = await h.db.select().from(requestUploads).where(eq(requestUploads.id, upload.id));
    expect((await ok<{ usedBytes: number }>(owner.request('/api/usage'))).usedBytes).toBeGreaterThan(3000);
    await ok(owner.request(`/api/request-links/uploads/${upload.id}`, { method: 'DELETE' }), 204);
    expect(await h.db.select().from(revisions).where(eq(revisions.id, row!.revisionId))).toEqual([]);
    const blobs = [];
    for await (const key of h.blobs.list(`revisions/${row!.revisionId}/`)) blobs.push(key);
    expect(blobs).toEqual([]);
    expect((await ok<{ usedBytes: number }>(owner.request('/api/usage'))).usedBytes).toBe(0);
    await fails(owner.request(`/api/request-links/uploads/${upload.id}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });

  it("counts files and bytes against the link's limits and the owner's quota, and lets an upload begun go on", async () => {
    const owner = await makeSharingUser(h, 12_000);
    const root = await createRoot(owner);
    const folder = await createFolder(owner, root);
    const link = await makeRequestLink(owner, folder, { maxFiles: 2, maxBytes: 8000 });
    const big = await encryptFile(new Uint8Array(9000));
    await fails(
      anonymous(h, `/api/r/${link.id}/uploads`, json(await requestUploadBody(owner, link.id, folder, big))),
      413,
      'REQUEST_LINK_FULL',
    );
    await strangerUploads(h, owner, link.id, folder, new Uint8Array(1000));
    const last = await encryptFile(new Uint8Array(1000));
    const begun = await beginRequestUpload(h, owner, link.id, folder, last);
    // Used up for new uploads, while the one begun goes on to the end.
    await fails(anonymous(h, `/api/r/${link.id}`), 410, 'LINK_EXHAUSTED');
    await ok(putRequestChunk(h, link.id, begun.id, 0, last.chunks[0]!), 204);
    await ok(anonymous(h, `/api/r/${link.id}/uploads/${begun.id}/complete`, { method: 'POST' }));
    const roomy = await makeRequestLink(owner, folder, { maxBytes: 100_000 });
    const tooBig = await encryptFile(new Uint8Array(11_000));
    await fails(
      anonymous(h, `/api/r/${roomy.id}/uploads`, json(await requestUploadBody(owner, roomy.id, folder, tooBig))),
      413,
      'QUOTA_EXCEEDED',
    );
  });

  const patch = (body: unknown): RequestInit => ({ ...json(body), method: 'PATCH' });

  it('changes limits and expiry after the link exists, never below what it already took', async () => {
    const { owner, folder } = await setUp();
    const link = await makeRequestLink(owner, folder, { maxFiles: 1, maxBytes: 100_000 });
    await strangerUploads(h, owner, link.id, folder, new Uint8Array(1000));
    await fails(anonymous(h, `/api/r/${link.id}`), 410, 'LINK_EXHAUSTED');
    const taken = (await h.db.select().from(requestLinks).where(eq(requestLinks.id, link.id)))[0]!;
    await fails(owner.request(`/api/request-links/${link.id}`, patch({ maxFiles: 0 })), 400, 'VALIDATION');
    const belowBytes = await fails(
      owner.request(`/api/request-links/${link.id}`, patch({ maxBytes: taken.byteCount - 1 })),
      409,
      'LIMIT_BELOW_USE',
    );
    expect(belowBytes).toContain(`${taken.byteCount - 1}`);
    expect(belowBytes).toContain(`${taken.byteCount} bytes`);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const changed = await ok<RequestLinkRecord>(
      owner.request(`/api/request-links/${link.id}`, patch({ maxFiles: 3, expiresAt })),
    );
    expect(changed).toMatchObject({ maxFiles: 3, maxBytes: 100_000, expiresAt });
    const opened = await ok<OpenRequestLinkResponse>(anonymous(h, `/api/r/${link.id}`));
    expect(opened).toMatchObject({ filesLeft: 2, expiresAt });
    await fails(
      owner.request(`/api/request-links/${link.id}`, patch({ expiresAt: '2001-01-01T00:00:00Z' })),
      400,
      'LINK_EXPIRY_PAST',
    );
    const stranger = await makeSharingUser(h);
    await fails(stranger.request(`/api/request-links/${link.id}`, patch({ maxFiles: 5 })), 404, 'NOT_FOUND');
    await ok(owner.request(`/api/request-links/${link.id}/revoke`, { method: 'POST' }));
    await fails(owner.request(`/api/request-links/${link.id}`, patch({ maxFiles: 5 })), 410, 'LINK_REVOKED');
  });

  it('refuses a change that changes nothing, naming what it expected', async () => {
    const { owner, folder } = await setUp();
    const link = await makeRequestLink(owner, folder);
    const message = await fails(owner.request(`/api/request-links/${link.id}`, patch({})), 400, 'NOTHING_TO_CHANGE');
    expect(message).toContain('expected at least one of maxFiles, maxBytes, expiresAt');
  });

  it('answers an expired, revoked, unknown or malformed link, or a disabled owner, each in its own way', async () => {
    const { owner, folder } = await setUp();
    const expiring = await makeRequestLink(owner, folder, {
      expiresAt: new Date(h.clock.now.getTime() + 60_000).toISOString(),
    });
    h.clock.now = new Date(h.clock.now.getTime() + 120_000);
    await fails(anonymous(h, `/api/r/${expiring.id}`), 410, 'LINK_EXPIRED');
    const revoked = await makeRequestLink(owner, folder);
    await ok(owner.request(`/api/request-links/${revoked.id}/revoke`, { method: 'POST' }));
    await fails(anonymous(h, `/api/r/${revoked.id}`), 410, 'LINK_REVOKED');
    await fails(anonymous(h, `/api/r/${crypto.randomUUID()}`), 404, 'LINK_NOT_FOUND');
    // A share link's id is no request link.
    const share = await makeLink(h, owner, { id: folder, kind: 'folder' });
    await fails(anonymous(h, `/api/r/${share.id}`), 404, 'LINK_NOT_FOUND');
    await fails(anonymous(h, '/api/r/not-a-link'), 400, 'LINK_MALFORMED');
    const live = await makeRequestLink(owner, folder);
    await h.db.update(users).set({ disabledAt: h.clock.now }).where(eq(users.id, owner.id));
    await fails(anonymous(h, `/api/r/${live.id}`), 403, 'LINK_OWNER_DISABLED');
  });

  it("makes a link only for a folder of the owner's own tree, and keeps a stranger's upload to its own link", async () => {
    const { owner, folder } = await setUp();
    const editor = await makeSharingUser(h);
    await createRoot(editor);
    await shareAccepted(owner, editor, folder, { role: 'editor' });
    await fails(editor.request('/api/request-links', json(await requestLinkBody(editor, folder))), 403, 'FORBIDDEN');
    const first = await makeRequestLink(owner, folder);
    const second = await makeRequestLink(owner, folder);
    const file = await encryptFile(new Uint8Array(100));
    const begun = await beginRequestUpload(h, owner, first.id, folder, file);
    await fails(putRequestChunk(h, second.id, begun.id, 0, file.chunks[0]!), 404, 'NOT_FOUND');
    // The signed terms name the link: another link's signature does not verify for it.
    const [row] = await h.db.select().from(requestLinks).where(eq(requestLinks.id, first.id));
    const opened = await ok<OpenRequestLinkResponse>(anonymous(h, `/api/r/${second.id}`));
    await expect(
      verifyRequestTerms(decodeBase64url(opened.ownerPublicKeys.signing), row!.messageSignature, {
        requestLinkId: second.id,
        ownerId: owner.id,
        folderId: folder,
        message: opened.message,
      }),
    ).rejects.toMatchObject({ code: 'REQUEST_MESSAGE_INVALID' });
  });
});

describe.each(DATABASE_KINDS)('file-request link rate limits on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { linkRateLimit: { perSecond: 1, burst: 3 } });
  });
  afterAll(() => h.close());

  it('limits requests per request link and per address', async () => {
    const owner = await makeSharingUser(h);
    const root = await createRoot(owner);
    const link = await makeRequestLink(owner, root);
    await ok(anonymous(h, `/api/r/${link.id}`));
    await ok(anonymous(h, `/api/r/${link.id}`));
    await ok(anonymous(h, `/api/r/${link.id}`));
    await fails(anonymous(h, `/api/r/${link.id}`), 429, 'RATE_LIMITED');
  });
});
