import { describe, expect, it } from 'vitest';
import {
  decodeBase64url,
  encodeBase64url,
  encryptMetadata,
  generateNodeKey,
  nodeKeyUnwrapper,
  wrapNodeKey,
  type FileMetadata,
} from '../../shared/crypto/index.ts';
import type { NodeRecord, RevisionRecord } from '../../web/src/lib/files/node-records.ts';
import { openRecord, TamperedNodeError } from '../../web/src/lib/files/open-record.ts';

const OWNER = '4d1c1e5a-8a34-4a51-9a0e-2a5d3c1b7e01';
const FOLDER = '22222222-2222-4222-8222-222222222222';
const OTHER_FOLDER = '33333333-3333-4333-8333-333333333333';
const folderKey = generateNodeKey();

function revision(nodeId: string, number: number): RevisionRecord {
  return {
    id: crypto.randomUUID(),
    nodeId,
    number,
    header: '',
    size: 0,
    chunkSize: 524288,
    chunkCount: 1,
    createdAt: '2026-11-24T10:00:00.000Z',
    completedAt: '2026-11-24T10:00:01.000Z',
    thumbnail: false,
    authorId: null,
  };
}

async function fileRecord(name: string, revisionNumber = 1): Promise<NodeRecord> {
  const id = crypto.randomUUID();
  const key = generateNodeKey();
  const place = { ownerId: OWNER, nodeId: id, parentId: FOLDER, kind: 'file' as const };
  const metadata: FileMetadata = {
    name,
    type: 'text/plain',
    size: 12,
    modified: 1795000000000,
    revision: revisionNumber,
  };
  return {
    id,
    parentId: FOLDER,
    kind: 'file',
    wrappedKey: await wrapNodeKey(folderKey, key, place),
    encryptedMetadata: encodeBase64url(await encryptMetadata(key, place, metadata)),
    currentRevision: revision(id, revisionNumber),
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:01.000Z',
    trashedAt: null,
    authorId: null,
    requestLinkId: null,
    authorSignature: null,
  };
}

async function folderRecord(name: string): Promise<NodeRecord> {
  const id = crypto.randomUUID();
  const key = generateNodeKey();
  const place = { ownerId: OWNER, nodeId: id, parentId: FOLDER, kind: 'folder' as const };
  return {
    id,
    parentId: FOLDER,
    kind: 'folder',
    wrappedKey: await wrapNodeKey(folderKey, key, place),
    encryptedMetadata: encodeBase64url(await encryptMetadata(key, place, { name })),
    currentRevision: null,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:01.000Z',
    trashedAt: null,
    authorId: null,
    requestLinkId: null,
    authorSignature: null,
  };
}

async function expectRefused(record: NodeRecord, reason: RegExp): Promise<void> {
  const error = await openRecord(OWNER, await nodeKeyUnwrapper(folderKey), record).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(TamperedNodeError);
  expect((error as TamperedNodeError).nodeId).toBe(record.id);
  expect((error as TamperedNodeError).reason).toMatch(reason);
}

describe('opening a node the server lists', () => {
  it('opens a file and a folder: names, sizes and dates from the metadata, and each key', async () => {
    const unwrap = await nodeKeyUnwrapper(folderKey);
    const written = Math.floor(Date.now() / 1000) * 1000;
    const file = await fileRecord('Report.txt');
    const opened = await openRecord(OWNER, unwrap, file);
    expect(opened.node).toEqual({
      id: file.id,
      parentId: FOLDER,
      ownerId: OWNER,
      kind: 'file',
      name: 'Report.txt',
      type: 'text/plain',
      size: 12,
      modified: 1795000000000,
      changed: opened.node.changed,
      revision: file.currentRevision,
      trashedAt: null,
      author: null,
      requestLinkId: null,
    });
    expect(opened.key).toHaveLength(32);
    const folder = await folderRecord('Photos');
    const openedFolder = await openRecord(OWNER, unwrap, folder);
    expect(openedFolder.node).toMatchObject({ kind: 'folder', name: 'Photos', size: 0, type: '' });
    // Dates the client wrote: the metadata token's authenticated timestamp, made moments ago, not the server's.
    for (const node of [opened.node, openedFolder.node]) {
      expect(node.changed).toBeGreaterThanOrEqual(written);
      expect(node.changed).toBeLessThanOrEqual(Date.now());
    }
    expect(openedFolder.node.modified).toBe(openedFolder.node.changed);
  });

  it('shows the same dates whatever dates the server sends with a node', async () => {
    const unwrap = await nodeKeyUnwrapper(folderKey);
    for (const record of [await fileRecord('Report.txt'), await folderRecord('Photos')]) {
      const honest = (await openRecord(OWNER, unwrap, record)).node;
      const rewritten = { ...record, createdAt: '2001-02-03T04:05:06.000Z', updatedAt: '2001-02-03T04:05:06.000Z' };
      const shown = (await openRecord(OWNER, unwrap, rewritten)).node;
      expect([shown.modified, shown.changed]).toEqual([honest.modified, honest.changed]);
    }
  });

  it("refuses metadata whose token's timestamp the server rewrote", async () => {
    const folder = await folderRecord('Photos');
    const token = decodeBase64url(folder.encryptedMetadata);
    new DataView(token.buffer, token.byteOffset).setBigUint64(1, BigInt(Date.parse('2001-02-03T04:05:06Z') / 1000));
    await expectRefused(
      { ...folder, encryptedMetadata: encodeBase64url(token) },
      /name and details do not open with its key/,
    );
  });

  it("refuses a file whose metadata the server swapped with another file's", async () => {
    const [a, b] = [await fileRecord('a.txt'), await fileRecord('b.txt')];
    await expectRefused({ ...a, encryptedMetadata: b.encryptedMetadata }, /name and details do not open with its key/);
  });

  it('refuses a node the server moved to another folder without its key being wrapped again', async () => {
    await expectRefused(
      { ...(await fileRecord('a.txt')), parentId: OTHER_FOLDER },
      /name and details do not open with its key/,
    );
  });

  it("carries the owner it was opened for, and refuses a node opened as another owner's", async () => {
    const unwrap = await nodeKeyUnwrapper(folderKey);
    const folder = await folderRecord('Photos');
    expect((await openRecord(OWNER, unwrap, folder)).node.ownerId).toBe(OWNER);
    const error = await openRecord(crypto.randomUUID(), unwrap, folder).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TamperedNodeError);
    expect((error as TamperedNodeError).reason).toMatch(/does not open it/);
  });

  it('refuses a file passed off as a folder', async () => {
    await expectRefused({ ...(await fileRecord('a.txt')), kind: 'folder' }, /does not open it/);
  });

  it('refuses a file presented with a revision its metadata does not describe (a rollback or a swap)', async () => {
    const file = await fileRecord('a.txt', 2);
    await expectRefused(
      { ...file, currentRevision: revision(file.id, 1) },
      /describe version 2, the server presents version 1/,
    );
  });

  it('refuses metadata that is not base64url', async () => {
    await expectRefused({ ...(await fileRecord('a.txt')), encryptedMetadata: '***' }, /base64/);
  });
});
