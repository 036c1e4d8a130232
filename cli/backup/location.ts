/**
 * Where backups live: a directory, or an S3 bucket (`s3://bucket`, reached with the S3_* settings the server reads).
 * Either is opened as a blob store, so one set of code writes and reads both. Inside: `blobs/<key>` for every blob any
 * snapshot holds (blobs never change once written, so snapshots share them) and `snapshots/<id>/` for each snapshot's
 * dump and manifest.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { BlobStore } from '../../server/blobs/blob-store.ts';
import { createFsBlobStore } from '../../server/blobs/fs-blob-store.ts';
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

export async function openBackupPlace(
  text: string,
  env: Record<string, string | undefined>,
  { mustExist = false } = {},
): Promise<BackupPlace> {
  const bucket = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/?$/.exec(text)?.[1];
  if (text.startsWith('s3://') && !bucket) throw new BackupError(`"${text}" is not an S3 bucket like s3://my-backups`);
  if (bucket) {
    if (!env.S3_ACCESS_KEY_ID || !env.S3_SECRET_ACCESS_KEY) {
      throw new BackupError(`backing up to ${text} needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY`);
    }
    const { createS3BlobStore } = await import('../../server/blobs/s3-blob-store.ts');
    const store = createS3BlobStore({
      ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
      region: env.S3_REGION || 'us-east-1',
      bucket,
      accessKeyId: env.S3_ACCESS_KEY_ID,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY,
      forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false',
    });
    return { store, name: text };
  }
  if (mustExist && !existsSync(resolve(text))) throw new BackupError(`there is no directory ${resolve(text)}`);
  return { store: await createFsBlobStore(resolve(text)), name: resolve(text) };
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
