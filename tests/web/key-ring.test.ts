import { describe, expect, it } from 'vitest';
import {
  encodeBase64url,
  encryptMetadata,
  generateNodeKey,
  wrapNodeKey,
  type NodeKind,
} from '../../shared/crypto/index.ts';
import { KeyRing } from '../../web/src/lib/files/key-ring.ts';
import type { NodeRecord } from '../../web/src/lib/files/node-records.ts';
import { TamperedNodeError } from '../../web/src/lib/files/open-record.ts';

const ME = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const SOMEONE_ELSE = '7f3a9c20-1b2d-4e5f-8a6b-9c0d1e2f3a4b';

/** A folder's record as its owner's client writes it, wrapped under `parentKey`; and the folder's own key. */
async function folder(ownerId: string, parentKey: Uint8Array, parentId: string | null, name: string) {
  const id = crypto.randomUUID();
  const key = generateNodeKey();
  const place = { ownerId, nodeId: id, parentId, kind: 'folder' as NodeKind };
  const record: NodeRecord = {
    id,
    parentId,
    kind: 'folder',
    wrappedKey: await wrapNodeKey(parentKey, key, place),
    encryptedMetadata: encodeBase64url(await encryptMetadata(key, { ...place, kind: 'folder' }, { name })),
    currentRevision: null,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:01.000Z',
    trashedAt: null,
    authorId: null,
    requestLinkId: null,
    authorSignature: null,
  };
  return { record, key };
}

async function refusal(opening: Promise<unknown>): Promise<unknown> {
  return opening.then(
    () => 'opened',
    (error: unknown) => error,
  );
}

describe('a key ring of anchors', () => {
  it("takes a rotation's new keys for the folders it holds, and opens what is wrapped under them", async () => {
    const masterKey = generateNodeKey();
    const root = await folder(ME, masterKey, null, 'My files');
    const letters = await folder(ME, root.key, root.record.id, 'Letters');
    const ring = new KeyRing();
    await ring.openRoot(ME, masterKey, root.record);
    await ring.open(letters.record);
    const newKey = generateNodeKey();
    const notHeld = crypto.randomUUID();
    ring.replaceKeys(
      new Map([
        [letters.record.id, newKey],
        [notHeld, generateNodeKey()],
      ]),
    );
    expect(ring.keyOf(letters.record.id)).toEqual(newKey);
    expect(ring.ownerOf(letters.record.id)).toBe(ME);
    expect(ring.keyOf(notHeld)).toBeUndefined();
    const later = await folder(ME, newKey, letters.record.id, 'Added after');
    expect(await ring.open(later.record)).toMatchObject({ name: 'Added after' });
    ring.close();
  });

  it('opens the root under the master key as its owner, and the tree below it as that owner', async () => {
    const masterKey = generateNodeKey();
    const root = await folder(ME, masterKey, null, 'My files');
    const letters = await folder(ME, root.key, root.record.id, 'Letters');
    const ring = new KeyRing();
    expect(await ring.openRoot(ME, masterKey, root.record)).toMatchObject({ name: 'My files', ownerId: ME });
    expect(await ring.open(letters.record)).toMatchObject({ name: 'Letters', ownerId: ME });
    expect(ring.ownerOf(letters.record.id)).toBe(ME);
    ring.close();
  });

  it("opens another owner's folder from an anchor with the same code, and its nodes carry that owner", async () => {
    const theirRoot = generateNodeKey();
    const shared = await folder(SOMEONE_ELSE, theirRoot, crypto.randomUUID(), 'Holiday');
    const inside = await folder(SOMEONE_ELSE, shared.key, shared.record.id, 'Day one');
    const ring = new KeyRing();
    ring.addAnchor({ nodeId: shared.record.id, ownerId: SOMEONE_ELSE, key: shared.key });
    // The anchor's own record opens with the key it brought: its metadata still has to authenticate.
    expect(await ring.open(shared.record)).toMatchObject({ name: 'Holiday', ownerId: SOMEONE_ELSE });
    expect(await ring.open(inside.record)).toMatchObject({ name: 'Day one', ownerId: SOMEONE_ELSE });
    ring.close();
  });

  it('refuses a node of that folder claimed for another owner, and an altered anchor record', async () => {
    const shared = await folder(SOMEONE_ELSE, generateNodeKey(), crypto.randomUUID(), 'Holiday');
    const ring = new KeyRing();
    ring.addAnchor({ nodeId: shared.record.id, ownerId: ME, key: shared.key });
    const inside = await folder(SOMEONE_ELSE, shared.key, shared.record.id, 'Day one');
    expect(await refusal(ring.open(inside.record))).toBeInstanceOf(TamperedNodeError);
    const other = await folder(SOMEONE_ELSE, generateNodeKey(), crypto.randomUUID(), 'Other');
    const swapped = { ...shared.record, encryptedMetadata: other.record.encryptedMetadata };
    expect(await refusal(ring.open(swapped))).toBeInstanceOf(TamperedNodeError);
    ring.close();
  });
});
