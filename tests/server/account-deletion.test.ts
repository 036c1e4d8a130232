/**
 * "Delete my account": the signed-in user deletes their own account, after a fresh passkey check and with their handle
 * typed. Every row of it and every blob goes: checked in every table of the schema (read generically, so that a table
 * added later is checked too) and in the whole blob store, while the other account keeps its own files, including the
 * one the deleted account uploaded into its shared folder, and loses the share it had from it.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, credentials, links, nodes, requestLinks, revisions, uploads } from '../../server/db/schema.ts';
import { DELETED_ACCOUNT } from '../../server/accounts/account-deletion.ts';
import {
  encodeBase64url,
  encryptThumbnail,
  exportPublicKey,
  generateAccountKeyPairs,
} from '../../shared/crypto/index.ts';
import { queryRows, DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { patternBytes } from '../vectors/pattern.ts';
import { TestBrowser } from './browser.ts';
import {
  createFolder,
  createRoot,
  download,
  encryptFile,
  fails,
  json,
  ok,
  putChunk,
  startUpload,
  uploadFile,
} from './client.ts';
import { createHarness, type Harness } from './harness.ts';
import { makeLink } from './link-client.ts';
import { later, minutes, signUp, stepUp } from './passkey-accounts.ts';
import { beginRequestUpload, makeRequestLink, putRequestChunk, strangerUploads } from './request-client.ts';
import { makeSharingUser, shareAccepted, type SharingUser } from './sharing-accounts.ts';

const deleting = (confirm: string): RequestInit => ({ ...json({ confirm }), method: 'DELETE' });

describe.each(DATABASE_KINDS)('deleting one’s own account on %s', (kind) => {
  let h: Harness;
  /** The instance's first account, and so its only admin. */
  let firstAdmin: TestBrowser;

  beforeAll(async () => {
    h = await createHarness(kind);
    firstAdmin = new TestBrowser(h);
    await signUp(firstAdmin);
  });
  afterAll(() => h.close());

  /** An account signed up with a passkey (so that it can step up) and with real key pairs (so that it can share). */
  async function passkeyAccount(): Promise<{ browser: TestBrowser; user: SharingUser }> {
    const browser = new TestBrowser(h);
    const keys = await generateAccountKeyPairs();
    const publicKeys = {
      sharing: encodeBase64url(await exportPublicKey(keys.sharing.publicKey)),
      signing: encodeBase64url(await exportPublicKey(keys.signing.publicKey)),
    };
    const { bundle } = await signUp(browser, { publicKeys });
    const user = { id: bundle.userId, cookie: '', request: browser.request.bind(browser), keys };
    return { browser, user };
  }

  async function blobKeys(prefix = ''): Promise<string[]> {
    const keys = [];
    for await (const key of h.blobs.list(prefix)) keys.push(key);
    return keys.sort();
  }

  /** Every row of every table of the schema, as text: whatever a table holds, an id in it shows. */
  async function everyRow(): Promise<{ table: string; row: string }[]> {
    const tables = await queryRows<{ table_name: string }>(
      h.db,
      sql`select table_name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
    );
    expect(tables.map((table) => table.table_name)).toEqual(expect.arrayContaining(['users', 'nodes', 'shares']));
    const rows = [];
    for (const { table_name: table } of tables) {
      const found = await queryRows<{ row: string }>(
        h.db,
        sql`select ${sql.identifier(table)}::text as row from ${sql.identifier(table)}`,
      );
      rows.push(...found.map(({ row }) => ({ table, row })));
    }
    return rows;
  }

  it('deletes every row and blob of the account, its shares both ways, and leaves the other account whole', async () => {
    const { browser, user: alice } = await passkeyAccount();
    const bob = await makeSharingUser(h);
    await ok(alice.request('/api/account/handle', { ...json({ handle: 'Alice_Leaves' }), method: 'PUT' }));

    // Alice's tree: a folder with a file in two versions (the first with a thumbnail), a file in the trash, and an
    // upload in flight with one chunk stored.
    const root = await createRoot(alice);
    const folder = await createFolder(alice, root);
    const first = await encryptFile(patternBytes(3000));
    const v1 = await uploadFile(alice, first, folder);
    const thumbnail = await encryptThumbnail(first.fileKey, first.nodeId, 1, new Uint8Array(50));
    await ok(alice.request(`/api/revisions/${v1.revisionId}/thumbnail`, { method: 'PUT', body: thumbnail }));
    await uploadFile(alice, await encryptFile(patternBytes(2000), { nodeId: first.nodeId, revision: 2 }));
    const trashed = await encryptFile(patternBytes(1500));
    await uploadFile(alice, trashed, folder);
    await ok(alice.request(`/api/nodes/${trashed.nodeId}/trash`, { method: 'POST' }));
    const inFlight = await encryptFile(patternBytes(2500));
    const open = await startUpload(alice, inFlight, folder);
    await ok(putChunk(alice, open.uploadId, 0, inFlight.chunks[0]!), 204);
    // Her sealed contacts.
    await ok(
      alice.request('/api/account/documents/contacts', { ...json({ version: 0, sealed: 'c2VhbGVk' }), method: 'PUT' }),
    );

    // Shares both ways: hers of the folder to Bob, Bob's folder to her as editor. She adds a file to Bob's folder
    // (his, from then on) and begins another there.
    await shareAccepted(alice, bob, folder);
    const bobRoot = await createRoot(bob);
    const bobFolder = await createFolder(bob, bobRoot);
    const bobFile = await uploadFile(bob, await encryptFile(patternBytes(4000)), bobFolder);
    await shareAccepted(bob, alice, bobFolder, { role: 'editor' });
    const hers = await encryptFile(patternBytes(1200));
    const intoBob = await uploadFile(alice, hers, bobFolder);
    const strayFile = await encryptFile(patternBytes(2500));
    const stray = await startUpload(alice, strayFile, bobFolder);
    await ok(putChunk(alice, stray.uploadId, 0, strayFile.chunks[0]!), 204);

    // A share link, opened once; a request link with a stranger's finished upload and one still coming.
    const link = await makeLink(h, alice, { id: folder, kind: 'folder' });
    await ok(link.get());
    const requestLink = await makeRequestLink(alice, folder);
    await strangerUploads(h, alice, requestLink.id, folder);
    const coming = await encryptFile(patternBytes(3000));
    const comingUpload = await beginRequestUpload(h, alice, requestLink.id, folder, coming);
    await ok(putRequestChunk(h, requestLink.id, comingUpload.id, 0, coming.chunks[0]!), 204);

    // What names Alice: her id and handle, and the ids of everything of hers.
    const ownIds = async () => [
      ...(await h.db.select({ id: credentials.id }).from(credentials).where(eq(credentials.userId, alice.id))),
      ...(await h.db.select({ id: nodes.id }).from(nodes).where(eq(nodes.ownerId, alice.id))),
      ...(await h.db.select({ id: revisions.id }).from(revisions).where(eq(revisions.ownerId, alice.id))),
      ...(await h.db.select({ id: uploads.id }).from(uploads).where(eq(uploads.userId, alice.id))),
      ...(await h.db.select({ id: links.id }).from(links).where(eq(links.ownerId, alice.id))),
      ...(await h.db.select({ id: requestLinks.id }).from(requestLinks).where(eq(requestLinks.ownerId, alice.id))),
    ];
    const named = [alice.id, 'alice_leaves', ...(await ownIds()).map((row) => row.id)];
    const aliceRevisions = await h.db
      .select({ id: revisions.id })
      .from(revisions)
      .where(eq(revisions.ownerId, alice.id));
    expect(aliceRevisions.length).toBeGreaterThanOrEqual(6);
    const blobsBefore = await blobKeys();
    for (const prefix of [`revisions/${v1.revisionId}/`, `revisions/${stray.revisionId}/`]) {
      expect(blobsBefore.some((key) => key.startsWith(prefix))).toBe(true);
    }
    expect(blobsBefore).toContain(`revisions/${v1.revisionId}/thumbnail`);
    const bobBlobs = await blobKeys(`revisions/${bobFile.revisionId}/`);
    const bobNodes = await h.db.select().from(nodes).where(eq(nodes.ownerId, bob.id));
    const rowsNaming = (rows: { table: string; row: string }[]) =>
      rows.filter(({ row }) => named.some((id) => row.toLowerCase().includes(id.toLowerCase())));
    expect(rowsNaming(await everyRow()).length).toBeGreaterThan(20);

    // Refused without a passkey check in the last 5 minutes, and with anything but her handle.
    later(h, minutes(6));
    await fails(alice.request('/api/account', deleting('Alice_Leaves')), 403, 'STEP_UP_REQUIRED');
    await ok(stepUp(browser));
    expect(await fails(alice.request('/api/account', deleting('alice')), 400, 'CONFIRMATION_MISMATCH')).toBe(
      'to delete this account, send its handle @Alice_Leaves as confirm; received "alice"',
    );
    await fails(alice.request('/api/account', deleting('')), 400, 'VALIDATION');
    await ok(alice.request('/api/usage'));
    expect(rowsNaming(await everyRow()).length).toBeGreaterThan(20);

    await ok(alice.request('/api/account', deleting('@alice_leaves')), 204);

    // Signed out at once; nothing in any table names her or anything of hers.
    await fails(alice.request('/api/usage'), 401, 'UNAUTHENTICATED');
    expect(rowsNaming(await everyRow())).toEqual([]);
    // No blob of hers is left (the stray upload into Bob's folder included), and every blob left has its revision.
    const blobsAfter = await blobKeys();
    for (const { id } of [...aliceRevisions, { id: stray.revisionId }]) {
      expect(blobsAfter.filter((key) => key.startsWith(`revisions/${id}/`))).toEqual([]);
    }
    const revisionsLeft = new Set((await h.db.select({ id: revisions.id }).from(revisions)).map((row) => row.id));
    expect(blobsAfter.filter((key) => !revisionsLeft.has(key.split('/')[1]!))).toEqual([]);

    // Bob keeps his tree whole, with the file she added to his folder (its author forgotten), and loses her share.
    expect(await blobKeys(`revisions/${bobFile.revisionId}/`)).toEqual(bobBlobs);
    const bobNodesAfter = await h.db.select().from(nodes).where(eq(nodes.ownerId, bob.id));
    expect(bobNodesAfter.map((node) => node.id).sort()).toEqual(bobNodes.map((node) => node.id).sort());
    expect(bobNodesAfter.find((node) => node.id === hers.nodeId)).toMatchObject({ authorId: null });
    const { bytes } = await download(bob, intoBob.revisionId);
    expect(bytes.length).toBeGreaterThan(0);
    const incoming = await ok<{ shares: unknown[] }>(bob.request('/api/shares/incoming'));
    expect(incoming.shares).toEqual([]);
    const outgoing = await ok<{ shares: unknown[] }>(bob.request('/api/shares/outgoing'));
    expect(outgoing.shares).toEqual([]);
    // His own log keeps his share to her, without her id.
    const bobEvents = await h.db.select().from(auditEvents).where(eq(auditEvents.userId, bob.id));
    expect(bobEvents.find((event) => event.type === 'share-granted')?.details).toMatchObject({
      recipientId: DELETED_ACCOUNT,
    });
    // The deletion is in the log with no account, request or address, and no id.
    const [deletion] = await h.db.select().from(auditEvents).where(eq(auditEvents.type, 'account-deleted'));
    expect(deletion).toMatchObject({ userId: null, requestId: null, clientAddress: null });
    expect(deletion?.details).toEqual({ revisions: aliceRevisions.length });
  });

  it("refuses the instance's last active admin, who must make another admin first", async () => {
    const admin = (await ok<{ userId: string }>(firstAdmin.request('/api/account'))).userId;
    await ok(stepUp(firstAdmin));
    expect(await fails(firstAdmin.request('/api/account', deleting(admin)), 409, 'LAST_ACTIVE_ADMIN')).toContain(
      'last active admin',
    );
    await ok(firstAdmin.request('/api/usage'));
  });
});
