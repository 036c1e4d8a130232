/**
 * The S3 server going down mid-transfer: the blob store is a Ceph RGW whose gateway the test kills and starts again
 * (the cluster behind it keeps its objects). A chunk whose body is in flight when it dies, and every upload or
 * download while it is down, get 503 BLOB_STORE_UNAVAILABLE; a download already streaming is cut off, never ended as
 * if complete; once the gateway is back the upload resumes to completion, every earlier file is intact, fsck is clean.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptFile, ok, putChunk, putChunks, startUpload } from '../server/client.ts';
import { createBucket, startCephRgw, type CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { expectApiError, FaultInstance, putHeldChunk, resumeUpload } from './fault-instance.ts';

/** Large enough that a download cannot sit whole in the sockets' buffers when the gateway dies. */
const LARGE_FILE_BYTES = 32 * 1024 * 1024;
const LARGE_CHUNK_BYTES = 64 * 1024;

describe('the S3 server stopped and started mid-transfer', { timeout: 180_000 }, () => {
  let work: string;
  let rgw: CephRgw;
  let database: { url: string; drop: () => Promise<void> };
  let coffer: FaultInstance;
  let large: { revisionId: string; size: number };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-s3-outage-'));
    [rgw, database] = await Promise.all([startCephRgw(), createPostgresDatabase()]);
    await createBucket(rgw, 'coffer-faults');
    coffer = new FaultInstance({
      DATA_DIR: work,
      DATABASE_URL: database.url,
      BLOB_STORE: 's3',
      S3_ENDPOINT: rgw.endpoint,
      S3_BUCKET: 'coffer-faults',
      S3_ACCESS_KEY_ID: rgw.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    });
    await coffer.start();
    await coffer.signUp();
    await coffer.storeFile(20_000);
    // The large file goes up in requests of many chunks each.
    const file = await encryptFile(randomBytes(LARGE_FILE_BYTES), { chunkSize: LARGE_CHUNK_BYTES });
    const upload = await startUpload(coffer.user, file, coffer.root);
    for (let first = 0; first < file.chunks.length; first += 64) {
      await ok(putChunks(coffer.user, upload.uploadId, first, file.chunks.slice(first, first + 64)), 204);
    }
    const { revisionId } = await ok<{ revisionId: string }>(
      coffer.user.request(`/api/uploads/${upload.uploadId}/complete`, { method: 'POST' }),
    );
    coffer.stored.push({ file, revisionId });
    large = { revisionId, size: file.ciphertext.length };
  }, 180_000);
  afterAll(async () => {
    await coffer?.stop();
    await Promise.allSettled([rgw?.stop(), database?.drop()]);
    await rm(work, { recursive: true, force: true });
  }, 60_000);

  it('cuts off a download under way when the gateway dies, never ending it as if complete', async () => {
    const response = await coffer.user.request(`/api/revisions/${large.revisionId}/content`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = (await reader.read()).value!.length;
    await rgw.stopGateway();
    const cutOff = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return received;
        received += value.length;
      }
    })();
    await expect(cutOff).rejects.toThrow();
    expect(received).toBeLessThan(large.size);
    expect(coffer.alive).toBe(true);
  });

  it('answers 503 BLOB_STORE_UNAVAILABLE while it is down, then resumes the upload once it is back', async () => {
    const file = await encryptFile(randomBytes(60_000), { chunkSize: 4096 });
    await rgw.startGateway();
    const upload = await startUpload(coffer.user, file, coffer.root);
    await ok(putChunk(coffer.user, upload.uploadId, 0, file.chunks[0]!), 204);

    // A chunk in flight: its head is read and its body half sent when the gateway goes down.
    const inFlight = putHeldChunk(coffer.user, upload.uploadId, 1, file.chunks[1]!);
    await rgw.stopGateway();
    inFlight.release();
    expect(await expectApiError(await inFlight.answer, 503, 'BLOB_STORE_UNAVAILABLE')).toMatch(/storage/);
    await expectApiError(
      await coffer.user.request(`/api/revisions/${coffer.stored[0]!.revisionId}/content`),
      503,
      'BLOB_STORE_UNAVAILABLE',
    );
    expect(coffer.alive).toBe(true);

    await rgw.startGateway();
    await resumeUpload(coffer, upload.uploadId, file);
    await coffer.expectEveryFileIntact();
    await coffer.expectFsckClean();
  });
});
