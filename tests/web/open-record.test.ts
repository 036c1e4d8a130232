import { describe, expect, it } from 'vitest';
import {
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
    const file = await fileRecord('Report.txt');
    const opened = await openRecord(OWNER, unwrap, file);
    expect(opened.node).toEqual({
      id: file.id,
      parentId: FOLDER,
      kind: 'file',
      name: 'Report.txt',
      type: 'text/plain',
      size: 12,
      modified: 1795000000000,
      revision: file.currentRevision,
      updatedAt: file.updatedAt,
      trashedAt: null,
    });
    expect(opened.key).toHaveLength(32);
    const folder = await folderRecord('Photos');
    const openedFolder = await openRecord(OWNER, unwrap, folder);
    expect(openedFolder.node).toMatchObject({ kind: 'folder', name: 'Photos', size: 0, type: '' });
    expect(openedFolder.node.modified).toBe(Date.parse(folder.updatedAt));
  });

  it("refuses a file whose metadata the server swapped with another file's", async () => {
    const [a, b] = [await fileRecord('a.txt'), await fileRecord('b.txt')];
    await expectRefused({ ...a, encryptedMetadata: b.encryptedMetadata }, /metadata failed authentication/);
  });

  it('refuses a node the server moved to another folder without its key being wrapped again', async () => {
    await expectRefused({ ...(await fileRecord('a.txt')), parentId: OTHER_FOLDER }, /metadata failed authentication/);
  });

  it('refuses a file passed off as a folder', async () => {
    await expectRefused({ ...(await fileRecord('a.txt')), kind: 'folder' }, /wrapped key failed authentication/);
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
