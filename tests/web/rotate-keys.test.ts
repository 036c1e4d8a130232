/**
 * Building a key rotation (web/src/lib/sharing/rotate-keys.ts) from what a hostile server lists: every old wrap is
 * opened before a new one is made, so a node that does not open where it is listed stops the rotation (nothing is
 * sent), and an upload whose key does not open gets a fresh key rather than its old wrap.
 */
import { describe, expect, it } from 'vitest';
import type { PendingNewFile, RekeyPlanResponse } from '../../shared/api/responses.ts';
import {
  encodeBase64url,
  encryptMetadata,
  generateAccountKeyPairs,
  generateNodeKey,
  unwrapNodeKey,
  wrapNodeKey,
  type NodeKind,
} from '../../shared/crypto/index.ts';
import type { NodeRecord } from '../../web/src/lib/files/node-records.ts';
import { TamperedNodeError } from '../../web/src/lib/files/open-record.ts';
import { buildRotation, type RotationKeys } from '../../web/src/lib/sharing/rotate-keys.ts';

const OWNER = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const PARENT = '11111111-1111-4111-8111-111111111111';

async function record(
  parentKey: Uint8Array,
  kind: NodeKind,
  parentId: string,
  key = generateNodeKey(),
): Promise<{ record: NodeRecord; key: Uint8Array }> {
  const place = { ownerId: OWNER, nodeId: crypto.randomUUID(), parentId, kind };
  const metadata =
    kind === 'folder'
      ? await encryptMetadata(key, { ...place, kind: 'folder' }, { name: 'Photos' })
      : await encryptMetadata(
          key,
          { ...place, kind: 'file' },
          { name: 'a.jpg', type: '', size: 1, modified: 0, revision: 1 },
        );
  return {
    key,
    record: {
      id: place.nodeId,
      parentId,
      kind,
      wrappedKey: await wrapNodeKey(parentKey, key, place),
      encryptedMetadata: encodeBase64url(metadata),
      currentRevision: null,
      createdAt: '2026-12-01T10:00:00.000Z',
      updatedAt: '2026-12-01T10:00:00.000Z',
      trashedAt: null,
      authorId: OWNER,
      requestLinkId: null,
      authorSignature: null,
    },
  };
}

/** A folder with a file and a folder holding a file, listed as the server would. */
async function tree() {
  const parentKey = generateNodeKey();
  const top = await record(parentKey, 'folder', PARENT);
  const inner = await record(top.key, 'folder', top.record.id);
  const file = await record(top.key, 'file', top.record.id);
  const deep = await record(inner.key, 'file', inner.record.id);
  const plan: RekeyPlanResponse = {
    folders: [top.record, inner.record],
    files: [file.record, deep.record],
    uploads: [],
    shares: [],
  };
  const signing = (await generateAccountKeyPairs()).signing.privateKey;
  const keys: RotationKeys = {
    ownerId: OWNER,
    parentKey,
    folderKey: top.key,
    signingKey: signing,
    recipientSharingKey: () => Promise.reject(new Error('no share here')),
  };
  return { plan, keys, top, inner, file, deep };
}

describe('buildRotation', () => {
  it('wraps every key under the new ones, top down, and tells the progress', async () => {
    const { plan, keys, top, inner, file, deep } = await tree();
    const progress: unknown[] = [];
    const { request, newKeys } = await buildRotation(plan, keys, (step) => progress.push(step));
    expect(progress).toEqual([
      { foldersDone: 1, foldersTotal: 2 },
      { foldersDone: 2, foldersTotal: 2 },
    ]);
    const newTop = newKeys.get(top.record.id)!;
    const newInner = newKeys.get(inner.record.id)!;
    const place = (id: string, parentId: string, kind: NodeKind) => ({ ownerId: OWNER, nodeId: id, parentId, kind });
    expect(
      await unwrapNodeKey(keys.parentKey, request.folders[0]!.wrappedKey, place(top.record.id, PARENT, 'folder')),
    ).toEqual(newTop);
    expect(
      await unwrapNodeKey(newTop, request.folders[1]!.wrappedKey, place(inner.record.id, top.record.id, 'folder')),
    ).toEqual(newInner);
    expect(
      await unwrapNodeKey(newTop, request.files[0]!.wrappedKey, place(file.record.id, top.record.id, 'file')),
    ).toEqual(file.key);
    expect(
      await unwrapNodeKey(newInner, request.files[1]!.wrappedKey, place(deep.record.id, inner.record.id, 'file')),
    ).toEqual(deep.key);
  });

  it('refuses a file whose wrap does not open under the folder it is listed in, naming it', async () => {
    const { plan, keys, file, deep } = await tree();
    // The server lists the deep file's wrap as the top file's: it does not open there.
    const swapped = { ...plan, files: [{ ...file.record, wrappedKey: deep.record.wrappedKey }, deep.record] };
    await expect(buildRotation(swapped, keys)).rejects.toThrow(TamperedNodeError);
    await expect(buildRotation(swapped, keys)).rejects.toMatchObject({ nodeId: file.record.id });
  });

  it('refuses a file or a folder listed outside the folder being rotated', async () => {
    const { plan, keys, inner, deep } = await tree();
    const stray = { ...plan, files: [...plan.files, { ...deep.record, parentId: PARENT }] };
    await expect(buildRotation(stray, keys)).rejects.toMatchObject({ nodeId: deep.record.id });
    const reversed = { ...plan, folders: [plan.folders[0]!, { ...inner.record, parentId: crypto.randomUUID() }] };
    await expect(buildRotation(reversed, keys)).rejects.toMatchObject({ nodeId: inner.record.id });
  });

  it('gives an upload whose key does not open a fresh key, and re-wraps one that opens', async () => {
    const { plan, keys, top } = await tree();
    const good = await record(top.key, 'file', top.record.id);
    const upload = (from: NodeRecord): PendingNewFile => ({
      id: crypto.randomUUID(),
      nodeId: from.id,
      parentId: top.record.id,
      wrappedKey: from.wrappedKey,
    });
    const bad = await record(generateNodeKey(), 'file', top.record.id);
    const { request, newKeys } = await buildRotation(
      { ...plan, uploads: [upload(good.record), upload(bad.record)] },
      keys,
    );
    const placeOf = (id: string) => ({ ownerId: OWNER, nodeId: id, parentId: top.record.id, kind: 'file' as const });
    const newTop = newKeys.get(top.record.id)!;
    expect(await unwrapNodeKey(newTop, request.uploads[0]!.wrappedKey, placeOf(good.record.id))).toEqual(good.key);
    const replaced = await unwrapNodeKey(newTop, request.uploads[1]!.wrappedKey, placeOf(bad.record.id));
    expect(replaced).not.toEqual(bad.key);
  });
});
