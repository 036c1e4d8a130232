/**
 * Where backups live: a directory, or an S3 bucket (`s3://bucket`, reached with the S3_* settings the server reads),
 * for `coffer backup` and for the server's scheduled backups alike.
 * Either is opened as a blob store, so one set of code writes and reads both. Inside: `blobs/<key>` for every blob any
 * snapshot holds (blobs never change once written, so snapshots share them) and `snapshots/<id>/` for each snapshot's
 * dump and manifest.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { BlobConfig } from '../config.ts';
import { createFsBlobStore } from '../blobs/fs-blob-store.ts';
import { BackupError } from './backup-error.ts';

export interface BackupPlace {
  store: BlobStore;
  /** How the operator names it, for messages. */
  name: string;
}

export interface SnapshotPlace extends BackupPlace {
  id: string;
}

export const SNAPSHOT_ID = /^\d{8}t\d{6}z(?:-\d+)?$/;

/**
 * What a destination names, as a blob store's configuration: `s3://bucket` (with the S3_* settings) or a directory.
 * The server checks BACKUP_DIR and BACKUP_BUCKET with it at startup, and `coffer backup` its DEST.
 */
export function backupTarget(text: string, env: Record<string, string | undefined>): BlobConfig {
  const bucket = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(text)?.[1];
  if (text.startsWith('s3://') && !bucket) throw new BackupError(`"${text}" is not an S3 bucket like s3://my-backups`);
  if (!bucket) return { kind: 'fs', root: resolve(text) };
  if (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY) {
    throw new BackupError(`backing up to ${text} needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`);
  }
  return {
    kind: 's3',
    ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
    region: env.S3_REGION || 'us-east-1',
    bucket,
    accessKeyId: env.S3_ACCESS_KEY_ID,
    secretAccessKey: env.S3_SECRET_ACCESS_KEY,
    forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
  };
}

/** How the operator names a destination in messages: the directory's full path, or s3://bucket. */
export function backupPlaceName(target: BlobConfig): string {
  return target.kind === 'fs' ? target.root : `s3://${target.bucket}`;
}

export async function openBackupTarget(target: BlobConfig): Promise<BackupPlace> {
  if (target.kind === 'fs') return { store: await createFsBlobStore(target.root), name: backupPlaceName(target) };
  // Loaded only when used, as for the blob store: the AWS SDK is large.
  const { createS3BlobStore } = await import('../blobs/s3-blob-store.ts');
  return { store: createS3BlobStore(target), name: backupPlaceName(target) };
}

export async function openBackupPlace(
  text: string,
  env: Record<string, string | undefined>,
  { mustExist = false } = {},
): Promise<BackupPlace> {
  const target = backupTarget(text, env);
  if (mustExist && target.kind === 'fs' && !existsSync(target.root)) {
    throw new BackupError(`there is no directory ${target.root}`);
  }
  return openBackupTarget(target);
}

/** A snapshot is named by its place and id: `DEST/snapshots/ID` (a directory or `s3://bucket/snapshots/ID`). */
export async function openSnapshotPlace(text: string, env: Record<string, string | undefined>): Promise<SnapshotPlace> {
  const trimmed = text.replace(/\/+$/, '');
  const id = basename(trimmed);
  const parent = dirname(trimmed);
  if (!SNAPSHOT_ID.test(id) || basename(parent) !== 'snapshots') {
    throw new BackupError(`"${text}" is not a snapshot: expected DEST/snapshots/ID, as coffer backup printed it`);
  }
  const place = await openBackupPlace(dirname(parent).replace(/^s3:\/(?!\/)/, 's3://'), env, { mustExist: true });
  return { ...place, id, name: `${place.name.replace(/\/$/, '')}/snapshots/${id}` };
}
