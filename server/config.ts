/**
 * Configuration from the environment, checked at boot: every problem is reported at once, each naming its variable,
 * before anything starts. Without any variables, Coffer runs on embedded defaults: PGlite and local blobs in ./data.
 */
import { join, resolve } from 'node:path';
import { REGISTRATION_MODES, type RegistrationMode } from '../shared/api/admin-schemas.ts';
import { LOCKOUT_POLICY, type LockoutPolicy } from './auth/lockout.ts';
import { BackupError } from './backup/backup-error.ts';
import { backupPlaceName, backupTarget } from './backup/location.ts';
import { BACKUP_SCHEDULE_FORMS, parseBackupSchedule, type BackupSchedule } from './backup/schedule.ts';
import type { DatabaseConfig } from './db/database.ts';

export type BlobConfig =
  | { kind: 'fs'; root: string }
  | {
      kind: 's3';
      endpoint?: string;
      region: string;
      bucket: string;
      accessKeyId: string;
      secretAccessKey: string;
      forcePathStyle: boolean;
    };

/** Scheduled backups by the server: where to (BACKUP_DIR or BACKUP_BUCKET), when, and how many snapshots to keep. */
export interface BackupConfig {
  target: BlobConfig;
  /** The destination as the admin screen and messages name it. */
  name: string;
  schedule: BackupSchedule;
  keep: number;
}

export interface Config {
  port: number;
  host: string;
  /** Where users reach Coffer, e.g. https://coffer.example; used for WebAuthn and Origin checks. */
  publicOrigin: string;
  dataDir: string;
  database: DatabaseConfig;
  blobs: BlobConfig;
  /** Storage quota of a new account, in bytes. */
  defaultQuotaBytes: number;
  /** The registration mode once an admin exists, until an admin sets one in the instance's settings. */
  registrationDefault: RegistrationMode;
  uploadIdleMs: number;
  /** Reverse proxies in front of Coffer that append to X-Forwarded-For. */
  trustedProxies: number;
  /** API requests per second per account (bursts of five seconds' worth). */
  rateLimit: { perSecond: number; burst: number };
  /** After how many failed sign-ins or recoveries further tries are locked out, and for how long at first. */
  lockout: LockoutPolicy;
  /** Bearer token that opens /metrics; without one, /metrics is off. */
  metricsToken?: string;
  /** How long a shutdown waits for requests in flight before it cuts them off. */
  shutdownTimeoutMs: number;
  /** How long audit events (and the client addresses in them) are kept. */
  auditRetentionDays: number;
  /** Absent when neither BACKUP_DIR nor BACKUP_BUCKET is set: no scheduled backups. */
  backup?: BackupConfig;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One problem is said in one line, as other startup failures are.
    super(
      problems.length === 1
        ? `invalid configuration: ${problems[0]}`
        : `invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const read = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${text}"`);
      return fallback;
    }
    return value;
  };

  const port = integer('PORT', 8080, 0, 65535);
  const host = read('HOST') ?? '127.0.0.1';
  const publicOrigin = read('PUBLIC_ORIGIN') ?? `http://localhost:${port}`;
  try {
    const url = new URL(publicOrigin);
    if (url.origin !== publicOrigin.replace(/\/$/, '')) throw new Error('not an origin');
  } catch {
    problems.push(`PUBLIC_ORIGIN must be an origin like https://coffer.example, got "${publicOrigin}"`);
  }
  const dataDir = resolve(read('DATA_DIR') ?? 'data');

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const database: DatabaseConfig = databaseUrl ? { url: databaseUrl } : { pgliteDir: join(dataDir, 'pglite') };

  let blobs: BlobConfig = { kind: 'fs', root: join(dataDir, 'blobs') };
  const blobStore = read('BLOB_STORE') ?? 'fs';
  if (blobStore === 's3') {
    const required = ['S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;
    for (const name of required) if (!read(name)) problems.push(`${name} is required when BLOB_STORE=s3`);
    const endpoint = read('S3_ENDPOINT');
    blobs = {
      kind: 's3',
      ...(endpoint ? { endpoint } : {}),
      region: read('S3_REGION') ?? 'us-east-1',
      bucket: read('S3_BUCKET') ?? '',
      accessKeyId: read('S3_ACCESS_KEY_ID') ?? '',
      secretAccessKey: read('S3_SECRET_ACCESS_KEY') ?? '',
      forcePathStyle: read('S3_FORCE_PATH_STYLE') !== 'false',
    };
  } else if (blobStore === 'fs') {
    const root = read('BLOB_DIR');
    if (root) blobs = { kind: 'fs', root: resolve(root) };
  } else {
    problems.push(`BLOB_STORE must be "fs" or "s3", got "${blobStore}"`);
  }

  const registration = read('REGISTRATION') ?? 'invite-only';
  if (!(REGISTRATION_MODES as readonly string[]).includes(registration)) {
    problems.push(`REGISTRATION must be one of ${REGISTRATION_MODES.join(', ')}, got "${registration}"`);
  }

  const GiB = 1024 ** 3;
  const ratePerSecond = integer('RATE_LIMIT_PER_SECOND', 100, 1, 100_000);
  const lockoutFirstMs = integer('LOCKOUT_BASE_SECONDS', LOCKOUT_POLICY.firstMs / 1000, 1, 24 * 60 * 60) * 1000;
  const config: Config = {
    port,
    host,
    publicOrigin: publicOrigin.replace(/\/$/, ''),
    dataDir,
    database,
    blobs,
    defaultQuotaBytes: integer('DEFAULT_QUOTA_BYTES', 10 * GiB, 0, Number.MAX_SAFE_INTEGER),
    registrationDefault: registration as RegistrationMode,
    uploadIdleMs: integer('UPLOAD_IDLE_SECONDS', 24 * 60 * 60, 60, 30 * 24 * 60 * 60) * 1000,
    trustedProxies: integer('TRUST_PROXY', 0, 0, 10),
    rateLimit: { perSecond: ratePerSecond, burst: ratePerSecond * 5 },
    lockout: {
      ...LOCKOUT_POLICY,
      threshold: integer('LOCKOUT_THRESHOLD', LOCKOUT_POLICY.threshold, 1, 100),
      firstMs: lockoutFirstMs,
      // Doubling stops at the policy's cap, or at the first lockout's length if that is longer.
      capMs: Math.max(LOCKOUT_POLICY.capMs, lockoutFirstMs),
    },
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 30_000, 0, 10 * 60 * 1000),
    auditRetentionDays: integer('AUDIT_RETENTION_DAYS', 180, 1, 100 * 365),
  };
  const metricsToken = read('METRICS_TOKEN');
  if (metricsToken !== undefined) {
    // A short token could be guessed from outside; the value is never echoed, since it is a secret.
    if (!/^[\x21-\x7e]{16,}$/.test(metricsToken)) {
      problems.push('METRICS_TOKEN must be at least 16 printable characters without spaces');
    } else config.metricsToken = metricsToken;
  }
  const backup = backupConfig(env, read, integer, problems);
  if (backup) config.backup = backup;
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Snapshots kept when BACKUP_KEEP is not set: a week of daily backups. */
const DEFAULT_BACKUP_KEEP = 7;

function backupConfig(
  env: Env,
  read: (name: string) => string | undefined,
  integer: (name: string, fallback: number, min: number, max: number) => number,
  problems: string[],
): BackupConfig | undefined {
  const dir = read('BACKUP_DIR');
  const bucket = read('BACKUP_BUCKET');
  const scheduleText = read('BACKUP_SCHEDULE');
  const keep = integer('BACKUP_KEEP', DEFAULT_BACKUP_KEEP, 1, 10_000);
  const schedule = parseBackupSchedule(scheduleText ?? '03:00');
  if (!schedule) problems.push(`BACKUP_SCHEDULE must be ${BACKUP_SCHEDULE_FORMS}, got "${scheduleText}"`);
  if (dir !== undefined && bucket !== undefined) {
    problems.push(`set BACKUP_DIR or BACKUP_BUCKET, not both (got "${dir}" and "${bucket}")`);
    return undefined;
  }
  if (dir === undefined && bucket === undefined) {
    if (scheduleText !== undefined || read('BACKUP_KEEP') !== undefined) {
      problems.push('BACKUP_SCHEDULE and BACKUP_KEEP need BACKUP_DIR (a directory) or BACKUP_BUCKET (s3://bucket)');
    }
    return undefined;
  }
  if (dir?.startsWith('s3://')) {
    problems.push(`BACKUP_DIR must be a directory, got "${dir}": set BACKUP_BUCKET for a bucket`);
    return undefined;
  }
  if (bucket !== undefined && !bucket.startsWith('s3://')) {
    problems.push(`BACKUP_BUCKET must be an S3 bucket like s3://my-backups, got "${bucket}"`);
    return undefined;
  }
  try {
    const target = backupTarget((dir ?? bucket)!, env);
    return schedule ? { target, name: backupPlaceName(target), schedule, keep } : undefined;
  } catch (error) {
    if (!(error instanceof BackupError)) throw error;
    problems.push(`${dir !== undefined ? 'BACKUP_DIR' : 'BACKUP_BUCKET'}: ${error.message}`);
    return undefined;
  }
}
