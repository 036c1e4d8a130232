/**
 * Postgres restarted mid-upload, on a cluster of the test's own (tools/harness/private-postgres.ts). A chunk whose
 * body is still arriving when the database goes down, and every request while it is down, get 503
 * DATABASE_UNAVAILABLE at once; the Coffer process lives on and serves again as soon as Postgres is back, without a
 * restart of its own; the interrupted upload resumes to completion; every file stored before is intact; fsck is clean.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptFile, ok, putChunk, startUpload } from '../server/client.ts';
import { startPrivatePostgres, type PrivatePostgres } from '../../tools/harness/private-postgres.ts';
import { expectApiError, FaultInstance, putHeldChunk, resumeUpload } from './fault-instance.ts';

describe('Postgres restarted mid-upload', { timeout: 150_000 }, () => {
  let work: string;
  let postgres: PrivatePostgres;
  let coffer: FaultInstance;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-postgres-restart-'));
    postgres = await startPrivatePostgres();
    coffer = new FaultInstance({ DATA_DIR: work, DATABASE_URL: postgres.url });
    await coffer.start();
    await coffer.signUp();
    await coffer.storeFile(20_000);
    await coffer.storeFile(100_000);
  }, 120_000);
  afterAll(async () => {
    await coffer?.stop();
    await postgres?.destroy();
    await rm(work, { recursive: true, force: true });
  });

  it('answers 503 DATABASE_UNAVAILABLE while it is down, then resumes the upload once it is back', async () => {
    const file = await encryptFile(randomBytes(60_000), { chunkSize: 4096 });
    const upload = await startUpload(coffer.user, file, coffer.root);
    await ok(putChunk(coffer.user, upload.uploadId, 0, file.chunks[0]!), 204);

    // A chunk in flight: its head is read and its body half sent when the database goes down.
    const inFlight = putHeldChunk(coffer.user, upload.uploadId, 1, file.chunks[1]!);
    await postgres.stop();
    inFlight.release();
    const message = await expectApiError(await inFlight.answer, 503, 'DATABASE_UNAVAILABLE');
    expect(message).toMatch(/database/);

    // While it is down: every request that needs it is refused the same way, and the process lives on.
    await expectApiError(await putChunk(coffer.user, upload.uploadId, 2, file.chunks[2]!), 503, 'DATABASE_UNAVAILABLE');
    await expectApiError(
      await coffer.user.request(`/api/revisions/${coffer.stored[0]!.revisionId}/content`),
      503,
      'DATABASE_UNAVAILABLE',
    );
    expect((await fetch(`${coffer.url}/readyz`)).status).toBe(503);
    expect(coffer.alive).toBe(true);

    await postgres.start();
    await expect.poll(async () => (await fetch(`${coffer.url}/readyz`)).status, { timeout: 30_000 }).toBe(200);
    // The client resumes from what the server says arrived.
    await resumeUpload(coffer, upload.uploadId, file);
    expect(coffer.alive).toBe(true);
    await coffer.expectEveryFileIntact();
    await coffer.expectFsckClean();
  });
});
