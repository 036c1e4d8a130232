/**
 * The server killed (SIGKILL) in the middle of its scheduled backup: some blobs copied, no manifest written. The
 * half-written snapshot is never taken for a good one (`coffer backup verify` refuses any snapshot folder it left),
 * the next backup succeeds and verifies, every file stored before is intact and fsck is clean.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCoffer } from '../instance-process.ts';
import { createPostgresDatabase } from '../../tools/harness/test-databases.ts';
import { FaultInstance } from './fault-instance.ts';

/** Enough blobs that the backup is still copying when the test sees its first one arrive. */
const FILES = 24;

const entries = (dir: string) => readdir(dir, { recursive: true }).catch(() => [] as string[]);

describe('the server killed during its scheduled backup', { timeout: 180_000 }, () => {
  let work: string;
  let database: { url: string; drop: () => Promise<void> };
  let coffer: FaultInstance;
  let dest: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'coffer-backup-kill-'));
    dest = join(work, 'backups');
    database = await createPostgresDatabase();
    coffer = new FaultInstance({ DATA_DIR: join(work, 'data'), DATABASE_URL: database.url });
    await coffer.start();
    await coffer.signUp();
    for (let n = 0; n < FILES; n++) await coffer.storeFile(6000);
    await coffer.stop();
  }, 180_000);
  afterAll(async () => {
    await coffer?.stop();
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it('leaves no snapshot that verifies, and the next backup succeeds', async () => {
    // The backup due now starts as the server starts; it is killed once its first blob has arrived.
    Object.assign(coffer.env, { BACKUP_DIR: dest, BACKUP_SCHEDULE: '1h', BACKUP_KEEP: '2' });
    await coffer.start();
    await expect.poll(() => entries(join(dest, 'blobs')), { interval: 10, timeout: 60_000 }).not.toEqual([]);
    await coffer.kill();

    const cutShort = await entries(join(dest, 'snapshots'));
    expect(cutShort.filter((path) => path.endsWith('manifest.json'))).toEqual([]);
    for (const id of cutShort.filter((path) => !path.includes('/'))) {
      const verified = await runCoffer(['backup', 'verify', join(dest, 'snapshots', id)], {});
      expect(verified.status, verified.stdout).not.toBe(0);
    }

    await coffer.start();
    await coffer.expectEveryFileIntact();
    const backup = await runCoffer(['backup', dest, '--json'], coffer.env);
    expect(backup.status, backup.stderr).toBe(0);
    const { snapshot } = JSON.parse(backup.stdout) as { snapshot: string };
    const verified = await runCoffer(['backup', 'verify', snapshot], {});
    expect(verified.status, verified.stderr).toBe(0);
    await coffer.expectFsckClean();
  });
});
