/**
 * A full disk: the fs blob store's directory is a small tmpfs. Uploads fill it; the one that does not fit is refused
 * with 507 STORAGE_FULL (not a 500), leaves no partial blob or row behind, the files stored before it stay intact,
 * and once a file is deleted and purged, uploads work again. Needs root, to mount the tmpfs.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptFile, ok, putChunks, startUpload } from '../server/client.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { expectApiError, FaultInstance } from './fault-instance.ts';

const run = promisify(execFile);
const DISK = '8m';
const FILE_BYTES = 1024 * 1024;

describe('a full blob disk', { timeout: 120_000 }, () => {
  let work: string;
  let blobDir: string;
  let mounted = false;
  let database: { url: string; drop: () => Promise<void> };
  let coffer: FaultInstance;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-full-disk-'));
    blobDir = join(work, 'blobs');
    await mkdir(blobDir);
    await run('mount', ['-t', 'tmpfs', '-o', `size=${DISK}`, 'tmpfs', blobDir]);
    mounted = true;
    database = await createPostgresDatabase();
    coffer = new FaultInstance({ DATA_DIR: join(work, 'data'), DATABASE_URL: database.url, BLOB_DIR: blobDir });
    await coffer.start();
    await coffer.signUp();
  }, 60_000);
  afterAll(async () => {
    await coffer?.stop();
    await database?.drop();
    if (mounted) await run('umount', [blobDir]);
    await rm(work, { recursive: true, force: true });
  });

  it('refuses the upload that does not fit with 507 STORAGE_FULL and keeps every earlier file', async () => {
    // Files of 1 MiB until one does not fit: each its own upload, completed before the next starts.
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 16 && !refused; attempt++) {
      const file = await encryptFile(randomBytes(FILE_BYTES), { chunkSize: 64 * 1024 });
      const upload = await startUpload(coffer.user, file, coffer.root);
      const answer = await putChunks(coffer.user, upload.uploadId, 0, file.chunks);
      if (answer.status === 204) {
        const { revisionId } = await ok<{ revisionId: string }>(
          coffer.user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }),
        );
        coffer.stored.push({ file, revisionId });
      } else {
        refused = answer;
        // The client gives up on the upload it could not finish.
        await ok(coffer.user.request(`/api/uploads/${upload.uploadId}`, { method: 'DELETE' }), 204);
      }
    }
    expect(refused, 'the disk never filled up').toBeDefined();
    const message = await expectApiError(refused!, 507, 'STORAGE_FULL');
    expect(message).toMatch(/full/);
    expect(coffer.stored.length).toBeGreaterThan(2);
    expect(coffer.alive).toBe(true);
    await coffer.expectEveryFileIntact();
    await coffer.expectFsckClean();
  });

  it('takes uploads again once a file is deleted and purged', async () => {
    const [first] = coffer.stored.splice(0, 1);
    const nodeId = first!.file.nodeId;
    await ok(coffer.user.request(`/api/nodes/${nodeId}/trash`, { method: 'POST' }));
    await ok(coffer.user.request(`/api/nodes/${nodeId}`, { method: 'DELETE' }));
    await coffer.storeFile(FILE_BYTES / 2);
    await coffer.expectEveryFileIntact();
    await coffer.expectFsckClean();
  });
});
