import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCKOUT_POLICY } from '../../server/auth/lockout.ts';
import { ConfigError, loadConfig } from '../../server/config.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('runs on the embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(8080);
    expect(config.database).toEqual({ pgliteDir: join(resolve('data'), 'pglite') });
    expect(config.blobs).toEqual({ kind: 'fs', root: join(resolve('data'), 'blobs') });
    expect(config.rateLimit).toEqual({ perSecond: 100, burst: 500 });
    expect(config.trustedProxies).toBe(0);
    expect(config.metricsToken).toBeUndefined();
    expect(config.shutdownTimeoutMs).toBe(30_000);
    expect(config.auditRetentionDays).toBe(180);
    expect(config.lockout).toEqual(LOCKOUT_POLICY);
  });

  it('names every bad variable at once, with what it got', () => {
    const problems = problemsOf({
      PORT: '80000',
      RATE_LIMIT_PER_SECOND: '0',
      TRUST_PROXY: 'yes',
      AUDIT_RETENTION_DAYS: '0',
      DATABASE_URL: 'mysql://x',
      BLOB_STORE: 's3',
      PUBLIC_ORIGIN: 'https://coffer.example/path',
    });
    expect(problems).toEqual([
      'PORT must be a whole number from 0 to 65535, got "80000"',
      'PUBLIC_ORIGIN must be an origin like https://coffer.example, got "https://coffer.example/path"',
      'DATABASE_URL must start with postgres:// or postgresql://',
      'S3_BUCKET is required when BLOB_STORE=s3',
      'S3_ACCESS_KEY_ID is required when BLOB_STORE=s3',
      'S3_SECRET_ACCESS_KEY is required when BLOB_STORE=s3',
      'RATE_LIMIT_PER_SECOND must be a whole number from 1 to 100000, got "0"',
      'TRUST_PROXY must be a whole number from 0 to 10, got "yes"',
      'AUDIT_RETENTION_DAYS must be a whole number from 1 to 36500, got "0"',
    ]);
  });

  it('takes the rate limit from the environment, with bursts of five seconds', () => {
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '20' }).rateLimit).toEqual({ perSecond: 20, burst: 100 });
  });

  it('takes the lockout threshold and first lockout time, doubling up to an hour or that time if longer', () => {
    const config = loadConfig({ LOCKOUT_THRESHOLD: '3', LOCKOUT_BASE_SECONDS: '2' });
    expect(config.lockout).toEqual({ ...LOCKOUT_POLICY, threshold: 3, firstMs: 2_000, capMs: 60 * 60 * 1000 });
    expect(loadConfig({ LOCKOUT_BASE_SECONDS: '7200' }).lockout).toMatchObject({
      firstMs: 7_200_000,
      capMs: 7_200_000,
    });
    expect(problemsOf({ LOCKOUT_THRESHOLD: '0', LOCKOUT_BASE_SECONDS: '1.5' })).toEqual([
      'LOCKOUT_BASE_SECONDS must be a whole number from 1 to 86400, got "1.5"',
      'LOCKOUT_THRESHOLD must be a whole number from 1 to 100, got "0"',
    ]);
  });

  it('takes the metrics token and the shutdown deadline, and refuses a guessable token without echoing it', () => {
    const token = 'a-long-enough-metrics-token';
    const config = loadConfig({ METRICS_TOKEN: token, SHUTDOWN_TIMEOUT_MS: '5000' });
    expect({ token: config.metricsToken, timeout: config.shutdownTimeoutMs }).toEqual({ token, timeout: 5000 });
    expect(problemsOf({ METRICS_TOKEN: 'short', SHUTDOWN_TIMEOUT_MS: 'soon' })).toEqual([
      'SHUTDOWN_TIMEOUT_MS must be a whole number from 0 to 600000, got "soon"',
      'METRICS_TOKEN must be at least 16 printable characters without spaces',
    ]);
  });

  it('is invite-only once an admin exists unless REGISTRATION says otherwise, and names a wrong mode', () => {
    expect(loadConfig({}).registrationDefault).toBe('invite-only');
    expect(loadConfig({ REGISTRATION: 'open' }).registrationDefault).toBe('open');
    expect(problemsOf({ REGISTRATION: 'everyone' })).toEqual([
      'REGISTRATION must be one of open, invite-only, closed, got "everyone"',
    ]);
  });

  it('takes scheduled backups to a directory or a bucket, daily at 03:00 UTC keeping 7 unless told otherwise', () => {
    expect(loadConfig({}).backup).toBeUndefined();
    expect(loadConfig({ BACKUP_DIR: 'backups' }).backup).toEqual({
      target: { kind: 'fs', root: resolve('backups') },
      name: resolve('backups'),
      schedule: { text: '03:00', periodMs: 24 * 60 * 60 * 1000, offsetMs: 3 * 60 * 60 * 1000 },
      keep: 7,
    });
    const s3 = { S3_ACCESS_KEY_ID: 'id', S3_SECRET_ACCESS_KEY: 'secret', S3_ENDPOINT: 'http://127.0.0.1:9000' };
    expect(
      loadConfig({ ...s3, BACKUP_BUCKET: 's3://my-backups', BACKUP_SCHEDULE: '6h', BACKUP_KEEP: '30' }).backup,
    ).toEqual({
      target: {
        kind: 's3',
        endpoint: 'http://127.0.0.1:9000',
        region: 'us-east-1',
        bucket: 'my-backups',
        accessKeyId: 'id',
        secretAccessKey: 'secret',
        forcePathStyle: true,
      },
      name: 's3://my-backups',
      schedule: { text: '6h', periodMs: 6 * 60 * 60 * 1000, offsetMs: 0 },
      keep: 30,
    });
  });

  it('names a bad backup setting and the value it got', () => {
    const forms = 'a daily UTC time like 03:00, or an interval like 30m or 24h (at most 168h)';
    for (const schedule of ['3am', '24:00', '0h', '169h', '1d', '']) {
      const problems = problemsOf({ BACKUP_DIR: 'b', BACKUP_SCHEDULE: schedule });
      expect(problems).toEqual(schedule === '' ? [] : [`BACKUP_SCHEDULE must be ${forms}, got "${schedule}"`]);
    }
    expect(problemsOf({ BACKUP_DIR: 'b', BACKUP_KEEP: '0' })).toEqual([
      'BACKUP_KEEP must be a whole number from 1 to 10000, got "0"',
    ]);
    expect(problemsOf({ BACKUP_SCHEDULE: '03:00' })).toEqual([
      'BACKUP_SCHEDULE and BACKUP_KEEP need BACKUP_DIR (a directory) or BACKUP_BUCKET (s3://bucket)',
    ]);
    expect(problemsOf({ BACKUP_DIR: 'b', BACKUP_BUCKET: 's3://c' })).toEqual([
      'set BACKUP_DIR or BACKUP_BUCKET, not both (got "b" and "s3://c")',
    ]);
    expect(problemsOf({ BACKUP_DIR: 's3://c' })).toEqual([
      'BACKUP_DIR must be a directory, got "s3://c": set BACKUP_BUCKET for a bucket',
    ]);
    expect(problemsOf({ BACKUP_BUCKET: 'my-backups' })).toEqual([
      'BACKUP_BUCKET must be an S3 bucket like s3://my-backups, got "my-backups"',
    ]);
    expect(problemsOf({ BACKUP_BUCKET: 's3://my-backups' })).toEqual([
      'BACKUP_BUCKET: backing up to s3://my-backups needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY',
    ]);
  });
});
