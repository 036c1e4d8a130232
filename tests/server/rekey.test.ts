/**
 * Key rotation after a revocation (issue 25, point 6; docs/FORMAT.md section 4.6), with real keys end to end: the
 * client library (web/src/lib/sharing) builds the rotation and the server applies it. The proof: after revoking, a
 * file added to the folder does not open with any key the removed account ever held or could unwrap, tried on the raw
 * wraps from the database, while the owner's new keys and the remaining member's new grant open it.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, nodes, shares, users } from '../../server/db/schema.ts';
import type { IncomingSharesResponse } from '../../shared/api/responses.ts';
import {
  decodeBase64url,
  decryptMetadata,
  decryptTokenText,
  encodeBase64url,
  exportPublicKey,
  makeGrant,
  openGrant,
  unwrapNodeKey,
} from '../../shared/crypto/index.ts';
import { deriveWrappingKey } from '../../shared/crypto/wrap.ts';
import { DATABASE_KINDS } from '../../tools/harness/test-databases.ts';
import { revokeShare } from '../../web/src/lib/sharing/revoke-share.ts';
import {
  buildRotation,
  rotateFolderKeys,
  type RotateOptions,
  type RotationProgress,
  type RotationRing,
  type Send,
} from '../../web/src/lib/sharing/rotate-keys.ts';
import { fails, json, ok } from './client.ts';
import { createHarness, type Harness, type TestUser } from './harness.ts';
import { keyedFile, keyedFolder, keyedRoot, startKeyedFile, type KeyedNode } from './keyed-tree.ts';
import { ringOf, sendAs, shareFolder } from './rotation-client.ts';
import { makeSharingUser, type SharingUser } from './sharing-accounts.ts';

/** The node key a recipient gets from its share of `nodeId`, after checking the grant as the web app does. */
async function openIncoming(owner: SharingUser, recipient: SharingUser, nodeId: string): Promise<Uint8Array> {
  const incoming = await ok<IncomingSharesResponse>(recipient.request('/api/shares/incoming'));
  const found = incoming.shares.find((share) => share.nodeId === nodeId)!;
  return openGrant(found.grant, {
    senderSigningKey: await exportPublicKey(owner.keys.signing.publicKey),
    recipientSharingKey: {
      privateKey: recipient.keys.sharing.privateKey,
      publicKey: await exportPublicKey(recipient.keys.sharing.publicKey),
    },
    expected: {
      senderId: owner.id,
      recipientId: recipient.id,
      ownerId: owner.id,
      nodeId,
      kind: 'folder',
      role: found.role,
    },
  });
}

describe.each(DATABASE_KINDS)('key rotation on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(kind);
  });
  afterAll(() => h.close());

  const rowOf = async (id: string) => (await h.db.select().from(nodes).where(eq(nodes.id, id)))[0]!;

  /**
   * Every key that opens from `start` down through the wraps the database holds now: what someone holding the key of
   * `start` could unwrap if the server handed them every wrap below it.
   */
  async function unwrapAll(ownerId: string, start: KeyedNode): Promise<Uint8Array[]> {
    const found = [start.key];
    const children = await h.db.select().from(nodes).where(eq(nodes.parentId, start.id));
    for (const child of children) {
      const place = { ownerId, nodeId: child.id, parentId: start.id, kind: child.kind };
      const key = await unwrapNodeKey(start.key, child.wrappedKey, place);
      if (child.kind === 'folder') found.push(...(await unwrapAll(ownerId, { id: child.id, key })));
      else found.push(key);
    }
    return found;
  }

  /**
   * An owner's folder "Shared" holding a file, a trashed file and a folder "Inner" with a file, shared with two
   * accounts: `removed` as viewer and `kept` as editor; and `other`, a share of "Inner" alone with a third.
   */
  async function setUp() {
    const owner = await makeSharingUser(h);
    const removed = await makeSharingUser(h);
    const kept = await makeSharingUser(h);
    const third = await makeSharingUser(h);
    const tree = await keyedRoot(owner);
    const shared = await keyedFolder(owner, tree.root, 'Shared');
    const inner = await keyedFolder(owner, shared, 'Inner');
    const files = {
      top: await keyedFile(owner, shared),
      trashed: await keyedFile(owner, shared),
      inner: await keyedFile(owner, inner),
    };
    await ok(owner.request(`/api/nodes/${files.trashed.id}/trash`, { method: 'POST' }));
    const removedShare = await shareFolder(owner, removed, shared, 'viewer');
    await shareFolder(owner, kept, shared, 'editor');
    await shareFolder(owner, third, inner, 'viewer');
    const ring = ringOf([tree.root, shared, inner]);
    const pinned = new Map(
      await Promise.all(
        [removed, kept, third].map(
          async (user) => [user.id, await exportPublicKey(user.keys.sharing.publicKey)] as const,
        ),
      ),
    );
    const progress: RotationProgress[] = [];
    const options: RotateOptions = {
      account: { userId: owner.id, masterKey: tree.masterKey, signingKey: owner.keys.signing.privateKey },
      recipientSharingKey: (recipientId) => Promise.resolve(pinned.get(recipientId)!),
      onProgress: (step) => progress.push(step),
      send: sendAs(owner),
    };
    return { owner, removed, kept, third, tree, shared, inner, files, removedShare, ring, options, progress };
  }

  it('after revoking, a file added to the folder opens with no key the removed account ever held', async () => {
    const { owner, removed, kept, third, shared, inner, files, removedShare, ring, options, progress } = await setUp();
    // Everything the removed account holds or could unwrap: the grant's key, and every wrap below it.
    const grantKey = await openIncoming(owner, removed, shared.id);
    expect(grantKey).toEqual(shared.key);
    const held = await unwrapAll(owner.id, { id: shared.id, key: grantKey });
    expect(held).toHaveLength(5);

    const rotated = await revokeShare(ring, { id: removedShare, nodeId: shared.id, kind: 'folder' }, options);
    expect(rotated).toEqual({ folders: 2, files: 3, uploads: 0, grants: 2 });
    expect(progress).toEqual([
      { foldersDone: 1, foldersTotal: 2 },
      { foldersDone: 2, foldersTotal: 2 },
    ]);
    // Access ended on the server.
    await fails(removed.request(`/api/nodes/${shared.id}/children`), 404, 'NOT_FOUND');

    // New keys in the ring; a file added afterwards, in the folder and in the one below it, is wrapped under them.
    const newShared = { id: shared.id, key: ring.keyOf(shared.id)! };
    const newInner = { id: inner.id, key: ring.keyOf(inner.id)! };
    expect(newShared.key).not.toEqual(shared.key);
    expect(newInner.key).not.toEqual(inner.key);
    const added = [await keyedFile(owner, newShared), await keyedFile(owner, newInner)];
    const rawWraps = await Promise.all(
      [...added.map((node) => node.id), shared.id, inner.id].map(async (id) => (await rowOf(id)).wrappedKey),
    );
    // Tried on the raw tokens, whatever they would claim to be: no key the removed account held decrypts any.
    for (const wrap of rawWraps) {
      for (const key of held) {
        await expect(decryptTokenText(await deriveWrappingKey(key), wrap)).rejects.toMatchObject({
          code: 'TOKEN_INVALID',
        });
      }
    }
    // The owner's new keys open them, and the new key reached from the old wraps is the new one.
    expect(
      await unwrapNodeKey(newShared.key, rawWraps[0]!, {
        ownerId: owner.id,
        nodeId: added[0]!.id,
        parentId: shared.id,
        kind: 'file',
      }),
    ).toEqual(added[0]!.key);
    const fromRoot = await unwrapAll(owner.id, ringNode(ring, (await rowOf(shared.id)).parentId!));
    expect(fromRoot).toContainEqual(added[1]!.key);

    // The members who stay get the new keys through their new grants.
    const keptKey = await openIncoming(owner, kept, shared.id);
    expect(keptKey).toEqual(newShared.key);
    const keptReach = await unwrapAll(owner.id, { id: shared.id, key: keptKey });
    expect(keptReach).toEqual(expect.arrayContaining([added[0]!.key, added[1]!.key, files.top.key, files.inner.key]));
    expect(await openIncoming(owner, third, inner.id)).toEqual(newInner.key);
  });

  it('keeps what the rotation does not change: names, file keys, the trash, and the members', async () => {
    const { owner, kept, shared, inner, files, removedShare, ring, options } = await setUp();
    const before = await rowOf(inner.id);
    const trashedBefore = await rowOf(files.trashed.id);
    const fileBefore = await rowOf(files.top.id);
    await revokeShare(ring, { id: removedShare, nodeId: shared.id, kind: 'folder' }, options);

    const after = await rowOf(inner.id);
    const place = { ownerId: owner.id, nodeId: inner.id, parentId: shared.id, kind: 'folder' as const };
    expect(await decryptMetadata(ring.keyOf(inner.id)!, place, after.encryptedMetadata)).toEqual({ name: 'Inner' });
    // Written again under the new key, with the time it was first written: a rotation changes nothing it describes.
    expect(after.encryptedMetadata.subarray(0, 9)).toEqual(before.encryptedMetadata.subarray(0, 9));
    await expect(decryptMetadata(inner.key, place, after.encryptedMetadata)).rejects.toMatchObject({
      code: 'METADATA_INVALID',
    });
    const trashed = await rowOf(files.trashed.id);
    expect(trashed.trashedAt).toEqual(trashedBefore.trashedAt);
    expect(trashed.wrappedKey).not.toEqual(trashedBefore.wrappedKey);
    expect(
      await unwrapNodeKey(ring.keyOf(shared.id)!, trashed.wrappedKey, {
        ownerId: owner.id,
        nodeId: files.trashed.id,
        parentId: shared.id,
        kind: 'file',
      }),
    ).toEqual(files.trashed.key);
    // A file's metadata stays as it was (its key, which it is under, is unchanged); only its wrap is new.
    const fileAfter = await rowOf(files.top.id);
    expect(fileAfter.encryptedMetadata).toEqual(fileBefore.encryptedMetadata);
    expect(fileAfter.wrappedKey).not.toEqual(fileBefore.wrappedKey);
    const [keptShare] = await h.db
      .select()
      .from(shares)
      .where(and(eq(shares.nodeId, shared.id), eq(shares.recipientId, kept.id)));
    expect({ status: keptShare!.status, role: keptShare!.role }).toEqual({ status: 'accepted', role: 'editor' });
    const events = await h.db.select().from(auditEvents).where(eq(auditEvents.userId, owner.id));
    expect(events.find((event) => event.type === 'keys-rotated')?.details).toEqual({
      nodeId: shared.id,
      folders: 2,
      files: 3,
      uploads: 0,
      grants: 2,
    });
  });

  it('wraps again the key of a file still uploading, which lands under the new key whoever completes it', async () => {
    const { owner, removed, kept, shared, inner, removedShare, ring, options } = await setUp();
    const held = await unwrapAll(owner.id, { id: shared.id, key: await openIncoming(owner, removed, shared.id) });
    // Started before the revocation, with the keys of then: the owner's into the folder, the editor's below it.
    const owners = await startKeyedFile(owner, shared);
    const editors = await startKeyedFile(kept, inner, { ownerId: owner.id });
    const rotated = await revokeShare(ring, { id: removedShare, nodeId: shared.id, kind: 'folder' }, options);
    expect(rotated).toMatchObject({ uploads: 2 });
    await owners.finish();
    await editors.finish();
    for (const [upload, folderId] of [
      [owners.file, shared.id],
      [editors.file, inner.id],
    ] as const) {
      const wrap = (await rowOf(upload.id)).wrappedKey;
      for (const key of held) {
        await expect(decryptTokenText(await deriveWrappingKey(key), wrap)).rejects.toMatchObject({
          code: 'TOKEN_INVALID',
        });
      }
      const place = { ownerId: owner.id, nodeId: upload.id, parentId: folderId, kind: 'file' as const };
      expect(await unwrapNodeKey(ring.keyOf(folderId)!, wrap, place)).toEqual(upload.key);
    }
  });

  it('refuses a rotation built before a node was added, naming it, and changes nothing', async () => {
    const { owner, tree, shared, inner, ring, options } = await setUp();
    const plan = await ok<Parameters<typeof buildRotation>[0]>(owner.request(`/api/nodes/${shared.id}/rekey`));
    const built = await buildRotation(plan, {
      ownerId: owner.id,
      parentKey: tree.root.key,
      folderKey: shared.key,
      signingKey: owner.keys.signing.privateKey,
      recipientSharingKey: options.recipientSharingKey,
    });
    const late = await keyedFile(owner, inner);
    const before = await h.db.select().from(nodes).where(eq(nodes.ownerId, owner.id));
    const message = await fails(
      owner.request(`/api/nodes/${shared.id}/rekey`, json(built.request)),
      409,
      'SUBTREE_CHANGED',
    );
    expect(message).toContain(late.id);
    expect(await h.db.select().from(nodes).where(eq(nodes.ownerId, owner.id))).toEqual(before);

    // The client lists again and retries by itself; the late file is then rotated too.
    let added = false;
    const send: Send = async (method, path, body) => {
      if (method === 'POST' && !added) {
        added = true;
        await keyedFile(owner, inner);
      }
      return options.send!(method, path, body);
    };
    expect(await rotateFolderKeys(ring, shared.id, { ...options, send })).toEqual({
      folders: 2,
      files: 5,
      uploads: 0,
      grants: 3,
    });
    const lateRow = await rowOf(late.id);
    expect(
      await unwrapNodeKey(ring.keyOf(inner.id)!, lateRow.wrappedKey, {
        ownerId: owner.id,
        nodeId: late.id,
        parentId: inner.id,
        kind: 'file',
      }),
    ).toEqual(late.key);
  });

  it('refuses what is not exactly the subtree and its shares, and anyone but the owner', async () => {
    const { owner, kept, tree, shared, inner, files, ring, options } = await setUp();
    const plan = await ok<Parameters<typeof buildRotation>[0]>(owner.request(`/api/nodes/${shared.id}/rekey`));
    expect(plan.folders.map((folder) => folder.id)).toEqual([shared.id, inner.id]);
    expect(plan.files.map((file) => file.id).sort()).toEqual([files.top.id, files.trashed.id, files.inner.id].sort());
    const { request } = await buildRotation(plan, {
      ownerId: owner.id,
      parentKey: tree.root.key,
      folderKey: shared.key,
      signingKey: owner.keys.signing.privateKey,
      recipientSharingKey: options.recipientSharingKey,
    });
    const rekey = (body: unknown, as: TestUser = owner) => as.request(`/api/nodes/${shared.id}/rekey`, json(body));

    const missing = await fails(rekey({ ...request, files: request.files.slice(1) }), 409, 'SUBTREE_CHANGED');
    expect(missing).toContain(request.files[0]!.id);
    const stranger = crypto.randomUUID();
    const extra = await fails(
      rekey({ ...request, files: [...request.files, { id: stranger, wrappedKey: request.files[0]!.wrappedKey }] }),
      409,
      'SUBTREE_CHANGED',
    );
    expect(extra).toContain(stranger);
    await fails(rekey({ ...request, files: [...request.files, request.files[0]] }), 400, 'DUPLICATE_NODE');
    await fails(rekey({ ...request, grants: request.grants.slice(1) }), 409, 'SHARES_CHANGED');
    const [first, ...rest] = request.grants;
    const promoted = await makeGrant({
      terms: { ...first!, role: first!.role === 'viewer' ? 'editor' : 'viewer' },
      nodeKey: ring.keys.get(shared.id)!,
      senderSigningKey: owner.keys.signing.privateKey,
      recipientSharingKey: await options.recipientSharingKey(first!.recipientId),
    });
    await fails(rekey({ ...request, grants: [promoted, ...rest] }), 400, 'GRANT_MISMATCH');
    const notAToken = encodeBase64url(crypto.getRandomValues(new Uint8Array(120)));
    const badForm = await fails(
      rekey({ ...request, files: [{ ...request.files[0], wrappedKey: notAToken }, ...request.files.slice(1)] }),
      400,
      'VALIDATION',
    );
    expect(badForm).toContain('Fernet token');
    await fails(
      owner.request(`/api/nodes/${files.top.id}/rekey`, json({ ...request, folders: request.folders })),
      409,
      'NOT_A_FOLDER',
    );
    // An editor of the folder may change what is in it, not its keys; a stranger does not find it.
    await fails(kept.request(`/api/nodes/${shared.id}/rekey`), 403, 'FORBIDDEN');
    await fails(rekey(request, kept), 403, 'FORBIDDEN');
    // Neither a stranger nor an admin of the instance, who administers accounts and never reaches their files.
    const stranger2 = await makeSharingUser(h);
    await fails(rekey(request, stranger2), 404, 'NOT_FOUND');
    await h.db.update(users).set({ role: 'admin' }).where(eq(users.id, stranger2.id));
    await fails(stranger2.request(`/api/nodes/${shared.id}/rekey`), 404, 'NOT_FOUND');
    await fails(rekey(request, stranger2), 404, 'NOT_FOUND');
    const tooMany = Array.from({ length: 20_001 }, () => ({
      id: crypto.randomUUID(),
      wrappedKey: request.files[0]!.wrappedKey,
    }));
    expect(await fails(rekey({ ...request, files: tooMany }), 400, 'VALIDATION')).toContain('20000');

    // None of it changed anything: the rotation built above still applies.
    expect(
      decodeBase64url((await ok<{ wrappedKey: string }>(owner.request(`/api/nodes/${shared.id}`))).wrappedKey),
    ).toEqual(decodeBase64url(plan.folders[0]!.wrappedKey));
    await ok(rekey(request));
  });
});

function ringNode(ring: RotationRing, id: string): KeyedNode {
  return { id, key: ring.keyOf(id)! };
}
