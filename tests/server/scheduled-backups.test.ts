/**
 * Scheduled backups run by the server (server/backup/scheduled-backup.ts), driven by the harness's clock: the test
 * calls the scheduler's own step for the due time (no waiting). A backup runs once per due time, `coffer backup
 * verify` passes on its snapshot, BACKUP_KEEP prunes snapshots and the blobs only they held, a destination that cannot
 * be written is reported in /metrics, the audit log, the error log and the admin API, two processes on one database
 * run one backup, a run whose process still beats holds the next one off while one whose process stopped beating is
 * recorded as failed and holds nothing off, and a bucket on a real Ceph RGW works as a destination.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminBackupsResponse, SecurityEventsResponse } from '../../shared/api/responses.ts';
import { runDueBackup, type ScheduledBackupDeps } from '../../server/backup/scheduled-backup.ts';
import { dueAtOrBefore } from '../../server/backup/schedule.ts';
import { loadConfig, type BackupConfig } from '../../server/config.ts';
import { backupRuns } from '../../server/db/schema.ts';
import { createLogger } from '../../server/http/request-log.ts';
import { revisionPrefix } from '../../server/uploads/segments.ts';
import { createBucket, startCephRgw, type CephRgw } from '../../tools/harness/ceph-rgw.ts';
import { DATABASE_KINDS, type DatabaseKind } from '../../tools/harness/test-databases.ts';
import { COFFER, ROOT } from '../run-command.ts';
import { TestBrowser } from './browser.ts';
import { createRoot, encryptFile, ok, uploadFile } from './client.ts';
import { createHarness, METRICS_TOKEN, type Harness, type TestUser } from './harness.ts';
import { signUp } from './passkey-accounts.ts';

const HOUR = 60 * 60 * 1000;

/** `coffer backup verify` as an operator runs it, with only the settings given (S3 credentials for a bucket). */
async function verify(
  snapshot: string,
  env: Record<string, string> = {},
): Promise<{ status: number | null; out: string }> {
  const child = spawn(process.execPath, [...COFFER, 'backup', 'verify', snapshot], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (part: Buffer) => (out += part.toString()));
  child.stderr.on('data', (part: Buffer) => (out += part.toString()));
  const [status] = (await once(child, 'close')) as [number | null];
  return { status, out };
}

async function metricValue(h: Harness, name: string): Promise<number> {
  const response = await h.app.request('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const family = parsePrometheusTextFormat(await response.text()).find((each) => each.name === name);
  return Number(family?.metrics[0]?.value);
}

function backupConfig(env: Record<string, string>): BackupConfig {
  return loadConfig(env).backup!;
}

interface Instance {
  h: Harness;
  admin: Pick<TestUser, 'request'>;
  user: TestUser;
  root: string;
  logs: string[];
  deps: (backup?: BackupConfig) => ScheduledBackupDeps;
}

async function instance(kind: DatabaseKind, backup: BackupConfig): Promise<Instance> {
  const h = await createHarness(kind, { backup });
  const browser = new TestBrowser(h);
  await signUp(browser);
  const user = await h.makeUser();
  const root = await createRoot(user);
  const logs: string[] = [];
  const logger = createLogger((line) => logs.push(line));
  return {
    h,
    admin: { request: (path, init) => browser.request(path, init) },
    user,
    root,
    logs,
    deps: (other = backup) => ({
      db: h.db,
      databaseKind: kind,
      blobs: h.blobs,
      backup: other,
      now: () => h.clock.now,
      logger,
    }),
  };
}

describe.each(DATABASE_KINDS)('scheduled backups on %s', (kind) => {
  let dir: string;
  let backup: BackupConfig;
  let it_: Instance;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'coffer-scheduled-'));
    backup = backupConfig({ BACKUP_DIR: dir, BACKUP_SCHEDULE: '1h', BACKUP_KEEP: '2' });
    it_ = await instance(kind, backup);
  });
  afterAll(async () => {
    await it_?.h.close();
    await rm(dir, { recursive: true, force: true });
  });

  const snapshotsIn = async () => (await readdir(join(dir, 'snapshots'))).sort();
  const backedUpBlobs = async () =>
    (await readdir(join(dir, 'blobs'), { recursive: true })).map((path) => `blobs/${path}`);
  const status = () => ok<AdminBackupsResponse>(it_.admin.request('/api/admin/backups'));
  const auditOf = async (type: string) =>
    (await ok<SecurityEventsResponse>(it_.admin.request(`/api/admin/audit-events?type=${type}`))).events;

  it('runs the backup due once, which coffer backup verify passes, and reports it', async () => {
    await uploadFile(it_.user, await encryptFile(new Uint8Array(3000).fill(1)), it_.root);
    const outcome = await runDueBackup(it_.deps());
    expect(outcome?.status, JSON.stringify(outcome)).toBe('succeeded');
    // The same due time again: claimed already, nothing runs.
    expect(await runDueBackup(it_.deps())).toBeUndefined();
    const snapshots = await snapshotsIn();
    expect(snapshots).toHaveLength(1);

    const verified = await verify(join(dir, 'snapshots', snapshots[0]!));
    expect(verified.status, verified.out).toBe(0);
    expect(verified.out).toContain('match the manifest');

    const answer = await status();
    expect(answer.schedule).toEqual({
      destination: dir,
      schedule: '1h',
      keep: 2,
      nextAt: new Date(it_.h.clock.now.getTime() + HOUR).toISOString(),
    });
    expect(answer.lastRun?.status).toBe('succeeded');
    expect(answer.lastSuccess?.snapshot).toBe(snapshots[0]);
    expect(answer.lastSuccess?.sizeBytes).toBeGreaterThan(3000);
    expect(answer.lastFailure).toBeNull();
    expect(answer.keptSnapshots).toEqual(snapshots);

    expect(await metricValue(it_.h, 'coffer_backup_last_success_timestamp_seconds')).toBe(
      it_.h.clock.now.getTime() / 1000,
    );
    expect(await metricValue(it_.h, 'coffer_backup_last_size_bytes')).toBe(answer.lastSuccess?.sizeBytes);
    expect(await metricValue(it_.h, 'coffer_backup_last_failure_timestamp_seconds')).toBe(0);
    const [event] = await auditOf('backup-succeeded');
    expect(event?.details).toMatchObject({ snapshot: snapshots[0], sizeBytes: answer.lastSuccess?.sizeBytes });
  });

  it('keeps BACKUP_KEEP snapshots, and removes the blobs only the pruned ones held', async () => {
    const goneFile = await encryptFile(new Uint8Array(2000).fill(2));
    const gone = await uploadFile(it_.user, goneFile, it_.root);
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    expect((await runDueBackup(it_.deps()))?.status).toBe('succeeded');
    const heldBefore = await backedUpBlobs();
    expect(heldBefore.some((key) => key.startsWith(`blobs/${revisionPrefix(gone.revisionId)}`))).toBe(true);

    // The file is deleted for good: the next snapshots lack it, and once the last snapshot holding it is pruned, so
    // is its blob.
    await ok(it_.user.request(`/api/nodes/${goneFile.nodeId}/trash`, { method: 'POST' }));
    await ok(it_.user.request(`/api/nodes/${goneFile.nodeId}`, { method: 'DELETE' }));
    for (let run = 0; run < 2; run++) {
      it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
      expect((await runDueBackup(it_.deps()))?.status).toBe('succeeded');
    }
    const snapshots = await snapshotsIn();
    expect(snapshots).toHaveLength(2);
    expect((await status()).keptSnapshots).toEqual([...snapshots].reverse());
    const held = await backedUpBlobs();
    expect(held.some((key) => key.startsWith(`blobs/${revisionPrefix(gone.revisionId)}`))).toBe(false);
    for (const snapshot of snapshots) {
      const verified = await verify(join(dir, 'snapshots', snapshot));
      expect(verified.status, verified.out).toBe(0);
    }
  });

  it('reports a destination it cannot write to in /metrics, the audit log, the error log and the admin API', async () => {
    const file = join(dir, '..', `not-a-directory-${kind}`);
    await writeFile(file, 'x');
    try {
      it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
      const broken = backupConfig({ BACKUP_DIR: join(file, 'backups'), BACKUP_SCHEDULE: '1h' });
      const outcome = await runDueBackup(it_.deps(broken));
      expect(outcome?.status).toBe('failed');

      const answer = await status();
      expect(answer.lastRun?.status).toBe('failed');
      expect(answer.lastFailure?.error).toContain(join(file, 'backups'));
      expect(answer.lastFailure?.error).toMatch(/ENOTDIR|EEXIST/);
      // The last good backup is still told apart from the failure.
      expect(answer.lastSuccess?.status).toBe('succeeded');
      expect(await metricValue(it_.h, 'coffer_backup_last_failure_timestamp_seconds')).toBe(
        it_.h.clock.now.getTime() / 1000,
      );
      const [event] = await auditOf('backup-failed');
      expect(event?.details).toMatchObject({ error: answer.lastFailure?.error });
      const errors = it_.logs.map((line) => JSON.parse(line) as { level: number; msg: string });
      expect(errors.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(['scheduled backup FAILED']);
    } finally {
      await rm(file, { force: true });
    }
  });

  it('runs a due backup on one of two server processes on the same database, not both', async () => {
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    const before = await snapshotsIn();
    const second: ScheduledBackupDeps = { ...it_.deps(), logger: createLogger(() => undefined) };
    const outcomes = await Promise.all([runDueBackup(it_.deps()), runDueBackup(second)]);
    expect(outcomes.filter((outcome) => outcome !== undefined).map((outcome) => outcome.status)).toEqual(['succeeded']);
    const after = await snapshotsIn();
    // One new snapshot, one pruned (BACKUP_KEEP is 2).
    expect(after).toHaveLength(2);
    expect(after.filter((id) => !before.includes(id))).toHaveLength(1);
  });

  // A run of another process, as it stands in the database: claimed half an hour after a due time (so never one the
  // scheduler claims) and still beating now.
  const otherRunId = crypto.randomUUID();

  it('holds the next due backup off while another process still runs one and beats', async () => {
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    const now = it_.h.clock.now;
    const otherDueAt = new Date(dueAtOrBefore(backup.schedule, now).getTime() - HOUR / 2);
    await it_.h.db
      .insert(backupRuns)
      .values({ id: otherRunId, dueAt: otherDueAt, startedAt: now, heartbeatAt: now, status: 'running' });
    const outcome = await runDueBackup(it_.deps());
    expect(outcome).toEqual({
      status: 'failed',
      error: `skipped: the backup due at ${otherDueAt.toISOString()} is still running`,
    });
  });

  it('records a run whose process stopped beating as failed, and runs the next due backup', async () => {
    // The other process was killed: its heartbeat stays where it was while the hours pass.
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    const outcome = await runDueBackup(it_.deps());
    expect(outcome?.status, JSON.stringify(outcome)).toBe('succeeded');
    const newest = (await snapshotsIn()).at(-1)!;
    const verified = await verify(join(dir, 'snapshots', newest));
    expect(verified.status, verified.out).toBe(0);

    const [stopped] = await it_.h.db.select().from(backupRuns).where(eq(backupRuns.id, otherRunId));
    expect(stopped?.status).toBe('failed');
    expect(stopped?.error).toContain('process that ran this backup stopped');
    const answer = await status();
    expect(answer.lastRun?.status).toBe('succeeded');
    expect(answer.lastFailure?.error).toBe(stopped?.error);
    expect(await metricValue(it_.h, 'coffer_backup_last_failure_timestamp_seconds')).toBe(
      it_.h.clock.now.getTime() / 1000,
    );
    const [event] = await auditOf('backup-failed');
    expect(event?.details).toMatchObject({ error: stopped?.error, dueAt: stopped?.dueAt.toISOString() });
    // The next look finds nothing left to record.
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    expect((await runDueBackup(it_.deps()))?.status).toBe('succeeded');
    expect(await auditOf('backup-failed')).toHaveLength(3);
  });

  /** What the other process writes when it finds this run's heartbeat stopped (failStoppedRuns). */
  const recordedStopped = { status: 'failed' as const, error: 'the server process that ran this backup stopped' };
  const runRow = async (dueAt: Date) =>
    (await it_.h.db.select().from(backupRuns).where(eq(backupRuns.dueAt, dueAt)))[0];

  it('gives a run up when a heartbeat finds it recorded as stopped: it writes no snapshot and prunes nothing', async () => {
    await uploadFile(it_.user, await encryptFile(new Uint8Array(2500).fill(4)), it_.root);
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    const dueAt = dueAtOrBefore(backup.schedule, it_.h.clock.now);
    const before = await snapshotsIn();
    const blobs = it_.h.blobs;
    const read = blobs.get.bind(blobs);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    // While the run copies the new file's blob, another process records it as stopped, and then its next beat comes.
    const get = vi.spyOn(blobs, 'get').mockImplementationOnce(async (key, range) => {
      await it_.h.db.update(backupRuns).set(recordedStopped).where(eq(backupRuns.dueAt, dueAt));
      vi.advanceTimersByTime(60_000);
      const givenUp = () => it_.logs.some((line) => line.includes('recorded this run as stopped'));
      await expect.poll(givenUp, { timeout: 10_000 }).toBe(true);
      return read(key, range);
    });
    let outcome;
    try {
      outcome = await runDueBackup(it_.deps());
    } finally {
      get.mockRestore();
      vi.useRealTimers();
    }
    expect(outcome?.status, JSON.stringify(outcome)).toBe('taken-over');
    expect(await runRow(dueAt)).toMatchObject({ ...recordedStopped, snapshot: null });
    expect(await snapshotsIn()).toEqual(before);
  });

  it('gives a run up when its end finds it recorded as stopped, removing the snapshot it wrote', async () => {
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + HOUR);
    const dueAt = dueAtOrBefore(backup.schedule, it_.h.clock.now);
    // The other process records the run as stopped just after the run's last beat (the one update that leaves it
    // running), before the run records its end.
    await it_.h.db.execute(sql`
      create function take_over_after_beat() returns trigger language plpgsql as $$
      begin
        if old.status = 'running' and new.status = 'running' then
          new.status := 'failed';
          new.error := 'the server process that ran this backup stopped';
        end if;
        return new;
      end $$`);
    await it_.h.db.execute(sql`
      create trigger take_over_after_beat before update on backup_runs
      for each row execute function take_over_after_beat()`);
    let outcome;
    try {
      outcome = await runDueBackup(it_.deps());
    } finally {
      await it_.h.db.execute(sql`drop trigger take_over_after_beat on backup_runs`);
      await it_.h.db.execute(sql`drop function take_over_after_beat()`);
    }
    expect(outcome?.status, JSON.stringify(outcome)).toBe('taken-over');
    expect(await runRow(dueAt)).toMatchObject({ ...recordedStopped, snapshot: null });
    const newest = (await status()).lastSuccess?.snapshot;
    expect(await snapshotsIn()).toContain(newest);
    expect((await snapshotsIn()).every((id) => id <= newest!)).toBe(true);
  });
});

describe('scheduled backups into an S3 bucket', () => {
  let rgw: CephRgw | undefined;
  let it_: Instance | undefined;

  beforeAll(async () => {
    rgw = await startCephRgw();
  }, 180_000);
  afterAll(async () => {
    await it_?.h.close();
    await rgw?.stop();
  }, 30_000);

  it('writes snapshots that coffer backup verify passes, and prunes them there', async () => {
    const bucket = `coffer-scheduled-${Date.now()}`;
    await createBucket(rgw!, bucket);
    const env = {
      BACKUP_BUCKET: `s3://${bucket}`,
      BACKUP_SCHEDULE: '03:00',
      BACKUP_KEEP: '1',
      S3_ENDPOINT: rgw!.endpoint,
      S3_ACCESS_KEY_ID: rgw!.accessKeyId,
      S3_SECRET_ACCESS_KEY: rgw!.secretAccessKey,
    };
    it_ = await instance('pglite', backupConfig(env));
    await uploadFile(it_.user, await encryptFile(new Uint8Array(4000).fill(3)), it_.root);
    const first = await runDueBackup(it_.deps());
    it_.h.clock.now = new Date(it_.h.clock.now.getTime() + 24 * HOUR);
    const second = await runDueBackup(it_.deps());
    expect([first?.status, second?.status]).toEqual(['succeeded', 'succeeded']);
    const answer = await ok<AdminBackupsResponse>(it_.admin.request('/api/admin/backups'));
    expect(answer.schedule?.destination).toBe(`s3://${bucket}`);
    expect(answer.keptSnapshots).toHaveLength(1);
    const kept = answer.keptSnapshots[0]!;
    const { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = env;
    const s3Env = { S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY };
    const verified = await verify(`s3://${bucket}/snapshots/${kept}`, s3Env);
    expect(verified.status, verified.out).toBe(0);
    const pruned = first?.status === 'succeeded' ? first.snapshot : '';
    const refused = await verify(`s3://${bucket}/snapshots/${pruned}`, s3Env);
    expect(refused.status).toBe(1);
    expect(refused.out).toContain('no manifest.json');
  }, 120_000);
});
