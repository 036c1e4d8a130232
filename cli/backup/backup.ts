/**
 * `coffer backup DEST`: the database's dump first (one consistent snapshot), then every blob its rows point at. Blobs
 * never change once their revision is complete, so a blob an earlier snapshot in DEST holds is not copied again. The
 * manifest is written last: a snapshot without one was cut short, and nothing reads it.
 */
import type { BlobStore } from '../../server/blobs/blob-store.ts';
import { openBlobStore } from '../../server/blobs/open-blob-store.ts';
import type { Config } from '../../server/config.ts';
import { copyBlob } from './copy.ts';
import { openBackupPlace } from './location.ts';
import {
  backupBlobKey,
  earlierManifests,
  sha256,
  snapshotKey,
  writeObject,
  type Manifest,
  type ManifestBlob,
} from './manifest.ts';
import { Progress } from '../progress.ts';
import { takeDump } from './snapshot.ts';

export interface BackupSummary {
  snapshot: string;
  blobs: number;
  bytes: number;
  copiedBlobs: number;
  copiedBytes: number;
}

export async function backup(
  config: Config,
  dest: string,
  env: Record<string, string | undefined>,
  quiet: boolean,
): Promise<BackupSummary> {
  const place = await openBackupPlace(dest, env);
  try {
    const { dump, kind } = await takeDump(config);
    const id = await newSnapshotId(place.store);
    const held = new Map<string, ManifestBlob>();
    for (const manifest of await earlierManifests(place.store)) {
      for (const blob of manifest.blobs) held.set(blob.key, blob);
    }
    const toCopy = [];
    const blobs: ManifestBlob[] = [];
    for (const blob of dump.blobs) {
      const earlier = held.get(blob.key);
      const kept = earlier?.size === blob.size && (await place.store.stat(backupBlobKey(blob.key)))?.size === blob.size;
      if (kept) blobs.push(earlier);
      else toCopy.push(blob);
    }
    const progress = new Progress(
      'copying blobs',
      toCopy.reduce((total, blob) => total + blob.size, 0),
      quiet,
    );
    const source = await openBlobStore(config.blobs);
    try {
      for (const blob of toCopy) {
        const copied = await copyBlob(
          { store: source, key: blob.key },
          { store: place.store, key: backupBlobKey(blob.key) },
          blob.size,
          progress,
        );
        blobs.push({ key: blob.key, ...copied });
      }
    } finally {
      progress.finish();
      await source.close();
    }
    const dumpBytes = new TextEncoder().encode(dump.sql);
    await writeObject(place.store, snapshotKey(id, 'dump.sql'), dumpBytes);
    const manifest: Manifest = {
      format: 1,
      id,
      createdAt: new Date().toISOString(),
      database: kind,
      migrations: dump.migrations,
      dump: { size: dumpBytes.length, sha256: sha256(dumpBytes) },
      blobs: blobs.sort((a, b) => a.key.localeCompare(b.key)),
    };
    await writeObject(
      place.store,
      snapshotKey(id, 'manifest.json'),
      new TextEncoder().encode(JSON.stringify(manifest)),
    );
    return {
      snapshot: `${place.name.replace(/\/$/, '')}/snapshots/${id}`,
      blobs: blobs.length,
      bytes: blobs.reduce((total, blob) => total + blob.size, 0),
      copiedBlobs: toCopy.length,
      copiedBytes: toCopy.reduce((total, blob) => total + blob.size, 0),
    };
  } finally {
    await place.store.close();
  }
}

/** The time in UTC to the second, and a number after it for a second snapshot in the same second. */
async function newSnapshotId(store: BlobStore): Promise<string> {
  const base = new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'z')
    .replaceAll(/[-:]/g, '')
    .toLowerCase();
  for (let n = 0; ; n++) {
    const id = n === 0 ? base : `${base}-${n}`;
    const taken = await store.list(`snapshots/${id}/`)[Symbol.asyncIterator]().next();
    if (taken.done) return id;
  }
}
