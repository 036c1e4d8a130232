/**
 * Share links (issue 24): what the owner makes, lists, edits and revokes; what a link holder with the right token
 * reaches (the link's node and, for a folder, only what is inside it) and with any other token nothing; expiry,
 * the download limit, revocation and a disabled owner each ending access with their own answer; the rate limits; and
 * that the database keeps the token's hash only.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobStoreUnavailableError } from '../../server/blobs/blob-store.ts';
import { auditEvents, links, users } from '../../server/db/schema.ts';
import type {
  ChildrenResponse,
  LinkAccessResponse,
  LinksResponse,
  OpenLinkResponse,
} from '../../shared/api/responses.ts';
import { deriveLinkKeys, encodeBase64url } from '../../shared/crypto/index.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { createFolder, createRoot, encryptFile, fails, json, ok, uploadFile } from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { linkBody, linkGetter, makeLink, TEST_LINK_COST } from './link-client.ts';
import { makeSharingUser, shareAccepted, sharingUserWithFolder } from './sharing-accounts.ts';

const send = (method: string, body?: unknown): RequestInit => ({ ...json(body ?? {}), method });

describe.each(DATABASE_KINDS)('share links on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  /** root / folder / { file, sub / inner }, and root / sibling / secret: the folder is what gets linked. */
  async function setUp() {
    const { owner, root, folder } = await sharingUserWithFolder(h);
    const sub = await createFolder(owner, folder);
    const sibling = await createFolder(owner, root);
    const file = await encryptFile(new Uint8Array(5000).fill(7));
    const uploaded = await uploadFile(owner, file, folder);
    const inner = await encryptFile(new Uint8Array(300).fill(1));
    const innerUpload = await uploadFile(owner, inner, sub);
    const outside = await encryptFile(new Uint8Array(300).fill(2));
    const outsideUpload = await uploadFile(owner, outside, sibling);
    return { owner, root, folder, sub, sibling, file, uploaded, inner, innerUpload, outside, outsideUpload };
  }

  it('makes a link from the hash of its token, lists it for its owner, and keeps no token', async () => {
    const { owner, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' }, { downloadLimit: 3 });
    expect(link.record).toMatchObject({
      id: link.id,
      nodeId: file.nodeId,
      kind: 'file',
      hasPassword: false,
      allowDownload: true,
      downloadLimit: 3,
      downloadCount: 0,
      useCount: 0,
      status: 'active',
    });
    const mine = await ok<LinksResponse>(owner.request('/api/links'));
    expect(mine.links.map((l) => l.id)).toEqual([link.id]);
    const ofNode = await ok<LinksResponse>(owner.request(`/api/nodes/${file.nodeId}/links`));
    expect(ofNode.links.map((l) => l.id)).toEqual([link.id]);
    const [row] = await h.db.select().from(links).where(eq(links.id, link.id));
    const stored = JSON.stringify(row, (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64url') : value,
    );
    expect(stored).not.toContain(link.token);
    expect(stored).not.toContain(link.secret);
    expect(Buffer.from(row!.accessTokenHash)).toEqual(
      Buffer.from(await crypto.subtle.digest('SHA-256', Buffer.from(link.token, 'base64url'))),
    );
    const again = await linkBody(owner.id, { id: file.nodeId, kind: 'file' }, { id: link.id });
    await fails(owner.request('/api/links', json(again.body)), 409, 'LINK_EXISTS');
    const short = { ...again.body, id: crypto.randomUUID(), accessTokenHash: 'AAAA' };
    await fails(owner.request('/api/links', json(short)), 400, 'VALIDATION');
  });

  it("opens a file link with the right token only, and serves the file's bytes with ranges", async () => {
    const { owner, file, uploaded } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' });
    expect(await ok<LinkAccessResponse>(link.get('/access', { token: null }))).toEqual({ passwordCost: null });
    await fails(link.get('', { token: null }), 403, 'LINK_TOKEN_INVALID');
    await fails(link.get('', { token: 'A'.repeat(43) }), 403, 'LINK_TOKEN_INVALID');
    await fails(linkGetter(h, 'not-a-link', link.token)(''), 400, 'LINK_MALFORMED');
    await fails(linkGetter(h, crypto.randomUUID(), link.token)(''), 404, 'LINK_NOT_FOUND');
    const opened = await ok<OpenLinkResponse>(link.get());
    expect(opened).toMatchObject({
      linkId: link.id,
      ownerId: owner.id,
      kind: 'file',
      wrappedKey: expect.any(String),
      passwordCost: null,
      allowDownload: true,
      downloadsLeft: null,
    });
    expect(opened.node.id).toBe(file.nodeId);
    const content = `/revisions/${uploaded.revisionId}/content`;
    const whole = await link.get(content);
    expect(whole.status).toBe(200);
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(file.ciphertext);
    const part = await link.get(content, { headers: { range: 'bytes=10-99' } });
    expect(part.status).toBe(206);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(file.ciphertext.subarray(10, 100));
    await fails(link.get(content, { token: 'A'.repeat(43) }), 403, 'LINK_TOKEN_INVALID');
    // The session of the owner opens nothing here: only the token does.
    await fails(owner.request(`/api/s/${link.id}${content}`), 403, 'LINK_TOKEN_INVALID');
    const [row] = await h.db.select().from(links).where(eq(links.id, link.id));
    expect({ uses: row!.useCount, downloads: row!.downloadCount }).toEqual({ uses: 1, downloads: 1 });
  });

  it("reaches only the linked folder's subtree: its listings and its files' current revisions", async () => {
    const s = await setUp();
    const link = await makeLink(h, s.owner, { id: s.folder, kind: 'folder' });
    const opened = await ok<OpenLinkResponse>(link.get());
    expect({ id: opened.node.id, kind: opened.kind }).toEqual({ id: s.folder, kind: 'folder' });
    const top = await ok<ChildrenResponse>(link.get(`/nodes/${s.folder}/children`));
    expect(top.children.map((c) => c.id).sort()).toEqual([s.sub, s.file.nodeId].sort());
    const below = await ok<ChildrenResponse>(link.get(`/nodes/${s.sub}/children`));
    expect(below.children.map((c) => c.id)).toEqual([s.inner.nodeId]);
    const inner = await link.get(`/revisions/${s.innerUpload.revisionId}/content`);
    expect(new Uint8Array(await inner.arrayBuffer())).toEqual(s.inner.ciphertext);
    // Above and beside the linked folder: not found, like an id nobody has.
    await fails(link.get(`/nodes/${s.root}/children`), 404, 'NOT_FOUND');
    await fails(link.get(`/nodes/${s.sibling}/children`), 404, 'NOT_FOUND');
    await fails(link.get(`/revisions/${s.outsideUpload.revisionId}/content`), 404, 'NOT_FOUND');
    await fails(link.get(`/nodes/${s.file.nodeId}/children`), 409, 'NOT_A_FOLDER');
    // An older revision of a file inside is not the item as it is now.
    const second = await encryptFile(new Uint8Array(10), { nodeId: s.inner.nodeId, revision: 2 });
    await uploadFile(s.owner, second, undefined);
    await fails(link.get(`/revisions/${s.innerUpload.revisionId}/content`), 404, 'NOT_FOUND');
    // What is in the trash leaves the link; the linked folder in the trash ends it.
    await ok(s.owner.request(`/api/nodes/${s.sub}/trash`, send('POST')));
    await fails(link.get(`/nodes/${s.sub}/children`), 404, 'NOT_FOUND');
    await ok(s.owner.request(`/api/nodes/${s.folder}/trash`, send('POST')));
    await fails(link.get(), 410, 'LINK_ITEM_GONE');
    await fails(link.get(`/nodes/${s.folder}/children`), 404, 'NOT_FOUND');
  });

  it('counts downloads from the first byte with the right token only, and is used up at its limit', async () => {
    const { owner, file, uploaded } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' }, { downloadLimit: 2 });
    const content = `/revisions/${uploaded.revisionId}/content`;
    for (let i = 0; i < 5; i++) await fails(link.get(content, { token: 'B'.repeat(43) }), 403, 'LINK_TOKEN_INVALID');
    expect((await ok<OpenLinkResponse>(link.get())).downloadsLeft).toBe(2);
    expect((await link.get(content, { headers: { range: 'bytes=100-199' } })).status).toBe(206);
    expect((await link.get(content)).status).toBe(200);
    expect((await ok<OpenLinkResponse>(link.get())).downloadsLeft).toBe(1);
    expect((await link.get(content)).status).toBe(200);
    await fails(link.get(), 410, 'LINK_EXHAUSTED');
    await fails(link.get(content), 410, 'LINK_EXHAUSTED');
    const listed = await ok<LinksResponse>(owner.request(`/api/nodes/${file.nodeId}/links`));
    expect(listed.links[0]).toMatchObject({ status: 'exhausted', downloadCount: 2, useCount: 2 });
    // Raising the limit gives it life again.
    await ok(owner.request(`/api/links/${link.id}`, send('PATCH', { downloadLimit: 3 })));
    await ok(link.get());
  });

  it('counts a download only once its bytes can be sent: a visitor the blob store failed keeps it', async () => {
    const { owner, file, uploaded } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' }, { downloadLimit: 1 });
    const content = `/revisions/${uploaded.revisionId}/content`;
    const down = new BlobStoreUnavailableError(
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    );
    const get = vi.spyOn(h.blobs, 'get').mockRejectedValueOnce(down);
    try {
      await fails(link.get(content), 503, 'BLOB_STORE_UNAVAILABLE');
    } finally {
      get.mockRestore();
    }
    expect((await ok<OpenLinkResponse>(link.get())).downloadsLeft).toBe(1);
    const response = await link.get(content);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(file.ciphertext);
    await fails(link.get(content), 410, 'LINK_EXHAUSTED');
  });

  it('ends with its expiry, moved into the past, and for good when revoked', async () => {
    const { owner, file } = await setUp();
    const later = (hours: number) => new Date(h.clock.now.getTime() + hours * 3600_000).toISOString();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' }, { expiresAt: later(12) });
    await ok(link.get());
    const past = await linkBody(owner.id, { id: file.nodeId, kind: 'file' }, { expiresAt: later(-1) });
    await fails(owner.request('/api/links', json(past.body)), 400, 'LINK_EXPIRY_PAST');
    h.clock.now = new Date(later(13));
    await fails(link.get(), 410, 'LINK_EXPIRED');
    const edited = await ok<{ status: string }>(
      owner.request(`/api/links/${link.id}`, send('PATCH', { expiresAt: later(24), allowDownload: false })),
    );
    expect(edited).toMatchObject({ status: 'active', allowDownload: false });
    expect((await ok<OpenLinkResponse>(link.get())).allowDownload).toBe(false);
    await ok(owner.request(`/api/links/${link.id}`, send('PATCH', { expiresAt: later(-1) })));
    await fails(link.get(), 410, 'LINK_EXPIRED');
    await ok(owner.request(`/api/links/${link.id}`, send('PATCH', { expiresAt: null })));
    await ok(link.get());
    const revoked = await ok<{ status: string }>(owner.request(`/api/links/${link.id}/revoke`, send('POST')));
    expect(revoked.status).toBe('revoked');
    await fails(link.get(), 410, 'LINK_REVOKED');
    await fails(owner.request(`/api/links/${link.id}`, send('PATCH', { expiresAt: null })), 409, 'LINK_REVOKED');
    // A wrong token learns nothing of the link's state.
    await fails(link.get('', { token: 'C'.repeat(43) }), 403, 'LINK_TOKEN_INVALID');
  });

  it("stops answering once an admin disables the link's owner (issue 21)", async () => {
    const { owner, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' });
    await ok(link.get());
    await h.db.update(users).set({ disabledAt: h.clock.now }).where(eq(users.id, owner.id));
    await fails(link.get(), 403, 'LINK_OWNER_DISABLED');
    await h.db.update(users).set({ disabledAt: null }).where(eq(users.id, owner.id));
    await ok(link.get());
  });

  it("tells a password link's cost before any token, and refuses a token made without the password", async () => {
    const { owner, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' }, { password: 'correct horse' });
    expect(link.record.hasPassword).toBe(true);
    expect(await ok<LinkAccessResponse>(link.get('/access', { token: null }))).toEqual({
      passwordCost: TEST_LINK_COST,
    });
    const without = await deriveLinkKeys(link.secret, link.id);
    const wrong = await deriveLinkKeys(link.secret, link.id, 'wrong horse', TEST_LINK_COST);
    for (const keys of [without, wrong]) {
      await fails(
        link.get('', { token: encodeBase64url(keys.accessToken, { padding: false }) }),
        403,
        'LINK_TOKEN_INVALID',
      );
    }
    expect((await ok<OpenLinkResponse>(link.get())).passwordCost).toEqual(TEST_LINK_COST);
  });

  it('refuses an edit that changes nothing, naming what it expected', async () => {
    const { owner, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' });
    const message = await fails(owner.request(`/api/links/${link.id}`, send('PATCH', {})), 400, 'NOTHING_TO_CHANGE');
    expect(message).toContain('expected at least one of encryptedLabel, allowDownload, downloadLimit, expiresAt');
  });

  it("is the owner's alone to make, list, edit and revoke", async () => {
    const { owner, folder, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' });
    const stranger = await h.makeUser();
    expect((await ok<LinksResponse>(stranger.request('/api/links'))).links).toEqual([]);
    await fails(stranger.request(`/api/nodes/${file.nodeId}/links`), 404, 'NOT_FOUND');
    await fails(stranger.request(`/api/links/${link.id}`, send('PATCH', { downloadLimit: 1 })), 404, 'NOT_FOUND');
    await fails(stranger.request(`/api/links/${link.id}/revoke`, send('POST')), 404, 'NOT_FOUND');
    // An editor of a share reaches the folder, but linking the owner's item is the owner's choice.
    const editor = await makeSharingUser(h);
    await shareAccepted(owner, editor, folder, { role: 'editor' });
    const byEditor = await linkBody(owner.id, { id: file.nodeId, kind: 'file' });
    await fails(editor.request('/api/links', json(byEditor.body)), 403, 'FORBIDDEN');
    await fails(editor.request(`/api/nodes/${file.nodeId}/links`), 403, 'FORBIDDEN');
    await ok(link.get());
  });

  it('audits links made, used and revoked, with no secret in the log', async () => {
    const { owner, file } = await setUp();
    const link = await makeLink(h, owner, { id: file.nodeId, kind: 'file' });
    await ok(link.get());
    await ok(owner.request(`/api/links/${link.id}/revoke`, send('POST')));
    const events = await h.db.select().from(auditEvents).where(eq(auditEvents.userId, owner.id));
    const ofLink = events.filter((event) => event.type.startsWith('link-'));
    expect(ofLink.map((event) => event.type)).toEqual(['link-created', 'link-used', 'link-revoked']);
    const text = JSON.stringify(ofLink);
    expect(text).not.toContain(link.token);
    expect(text).not.toContain(link.secret);
    expect(h.logs.join('\n')).not.toContain(link.token);
  });
});

describe.each(DATABASE_KINDS)('share link rate limits on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind, { linkRateLimit: { perSecond: 1, burst: 3 } });
  });
  afterAll(() => h.close());

  it('limits requests per link, right token or not, and per address across links', async () => {
    const owner = await makeSharingUser(h);
    const root = await createRoot(owner);
    const first = await makeLink(h, owner, { id: root, kind: 'folder' });
    const second = await makeLink(h, owner, { id: root, kind: 'folder' });
    await fails(first.get('', { token: 'D'.repeat(43) }), 403, 'LINK_TOKEN_INVALID');
    await ok(first.get());
    await ok(first.get('/access'));
    const limited = await first.get();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // The address used its burst on the first link too: the second is refused to it.
    await fails(second.get(), 429, 'RATE_LIMITED');
    h.clock.now = new Date(h.clock.now.getTime() + 10_000);
    await ok(second.get());
  });
});
